// The default run: the service's paths and the anchors over alternating rounds, Redis's bytes per
// session, and one read over a thousand and over a million sessions.
import { loadavg } from 'node:os'
import { anchorCookies } from './anchors.js'
import type { BenchContext } from './context.js'
import { fillSessions } from './fill.js'
import { getexLatency, sessionKeyOfCookie, type GetexLatency } from './latency.js'
import type { Load } from './load.js'
import type { RunMetrics } from './measure.js'
import { measureMemoryPerSession, type MemoryPerSession } from './memory.js'
import { keyspaceBytes } from './redis-stats.js'
import { fmt } from './report.js'
import { pairedReads, runRounds, type Paired } from './rounds.js'
import { bindScenario, loadInputs, SCENARIO_KEYS, SCENARIOS, type ScenarioKey } from './scenarios.js'
import type { BenchService } from './service.js'
import { BENCH, benchEnv, exchangeAll } from './sessions.js'

export interface FullResults {
  started: Date
  /** Load average when the run started. */
  load0: number
  runs: Record<ScenarioKey, RunMetrics[]>
  memory: MemoryPerSession
  /** Bytes per session of the filled sessions (record + index, no guard). */
  filledBytes: number
  rssBefore: { rss: number, heapUsed: number }
  rssAfter: { rss: number, heapUsed: number }
  /** GETEX alone on db 1 and db 2, rounds alternating. */
  direct: { small: GetexLatency[], big: GetexLatency[] }
  /** GET /session over db 1 and db 2, measured at the same time. */
  paired: Paired
  smallKeys: number
  bigKeys: number
}

// The anchors run between the reads and the exchange: the exchange's run (tens of thousands of new
// sessions) is never right before a read of the same service, in either direction of a round.
const RUN_ORDER: readonly ScenarioKey[] = ['healthz', 'session', 'me', 'bare', 'jwt', 'cookie', 'post', 'post256']

/** Redis's bytes per session around real exchanges; their sessions become the read pool. */
async function memoryAndPool (
  ctx: BenchContext,
  main: BenchService
): Promise<{ memory: MemoryPerSession, pool: string[] }> {
  const { settings } = ctx
  ctx.log(`memory: ${settings.memoryExchanges} exchanges`)
  // Not counted: loads the scripts and sizes the connections' buffers.
  await exchangeAll(main.url, await ctx.tokens(20))
  let cookies: string[] = []
  const tokens = await ctx.tokens(settings.memoryExchanges)
  const memory = await measureMemoryPerSession(ctx.redis.clientOf(0), settings.memoryExchanges, async () => {
    cookies = await exchangeAll(main.url, tokens)
  })
  return { memory, pool: cookies.slice(0, settings.pool) }
}

/** GETEX latency straight from the benchmark, the two databases alternating. */
async function directReads (ctx: BenchContext, smallPool: string[], bigPool: string[]): Promise<FullResults['direct']> {
  ctx.log('GETEX latency, alternating databases')
  const direct: FullResults['direct'] = { small: [], big: [] }
  const smallKeys = smallPool.map(sessionKeyOfCookie)
  const bigKeys = bigPool.map(sessionKeyOfCookie)
  for (let round = 0; round < Math.max(3, ctx.settings.rounds); round++) {
    direct.small.push(await getexLatency(ctx.redis.clientOf(1), smallKeys, ctx.settings.getexOps))
    direct.big.push(await getexLatency(ctx.redis.clientOf(2), bigKeys, ctx.settings.getexOps))
  }
  return direct
}

/** Real sessions on db 1 and db 2 for the reads, then db 2 filled up to the many sessions. */
async function fewAndMany (ctx: BenchContext, small: BenchService, big: BenchService): Promise<
  Pick<FullResults, 'filledBytes' | 'smallKeys' | 'bigKeys'> & { smallPool: string[], bigPool: string[] }
> {
  const { settings, redis } = ctx
  const filled = settings.bigSessions - settings.pool
  ctx.log(`pools: ${settings.pool} sessions on db 1 and db 2, then ${fmt.int(filled)} more on db 2`)
  const smallPool = await exchangeAll(small.url, await ctx.tokens(settings.pool))
  const bigPool = await exchangeAll(big.url, await ctx.tokens(settings.pool))
  const beforeFill = await keyspaceBytes(redis.clientOf(2))
  // Customer ids far above the pools': no filled session shares an index with a real one.
  const fill = { storeHash: BENCH.store, origin: BENCH.origin, firstCustomerId: 10_000_000, count: filled }
  await fillSessions(redis.clientOf(2), fill)
  const filledBytes = (await keyspaceBytes(redis.clientOf(2)) - beforeFill) / filled
  const [smallKeys, bigKeys] = await Promise.all([redis.clientOf(1).dbsize(), redis.clientOf(2).dbsize()])
  return { smallPool, bigPool, filledBytes, smallKeys, bigKeys }
}

export async function fullRun (ctx: BenchContext): Promise<FullResults> {
  const { settings, redis, services } = ctx
  const started = new Date()
  const load0 = loadavg()[0] as number
  // db 0: the service under test; db 1 and db 2: the same service over a thousand and a million sessions.
  const [main, bare, jwt, cookie, small, big] = await Promise.all([
    services.start({ env: benchEnv(redis.urlOf(0)) }),
    services.start({ mode: 'bare' }),
    services.start({ mode: 'jwt' }),
    services.start({ mode: 'secure-session' }),
    services.start({ env: benchEnv(redis.urlOf(1)) }),
    services.start({ env: benchEnv(redis.urlOf(2)) })
  ])
  const anchorPool = await anchorCookies(cookie.url, settings.pool)
  const { memory, pool } = await memoryAndPool(ctx, main)

  const { smallPool, bigPool, filledBytes, smallKeys, bigKeys } = await fewAndMany(ctx, small, big)

  const runsOn = { service: main, bare, jwt, 'secure-session': cookie }
  const inputs = loadInputs(ctx, pool, anchorPool)
  const scenarios = [...SCENARIO_KEYS]
    .sort((a, b) => RUN_ORDER.indexOf(a) - RUN_ORDER.indexOf(b))
    .map((key) => bindScenario(key, key, { service: runsOn[SCENARIOS[key].runsOn], redis: redis.clientOf(0), inputs }))
  let rssBefore = await main.stats({ gc: true })
  const runs = await runRounds(ctx, scenarios, async () => { rssBefore = await main.stats({ gc: true }) })
  const rssAfter = await main.stats({ gc: true })

  const read = async (cookies: string[]): Promise<Load> => await SCENARIOS.session.load(loadInputs(ctx, cookies), 0)
  const paired = await pairedReads(ctx,
    { service: small, redis: redis.clientOf(1), load: await read(smallPool) },
    { service: big, redis: redis.clientOf(2), load: await read(bigPool) })
  const direct = await directReads(ctx, smallPool, bigPool)
  return { started, load0, runs, memory, filledBytes, rssBefore, rssAfter, direct, paired, smallKeys, bigKeys }
}
