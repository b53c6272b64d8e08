// npm run bench [-- --quick] [-- --profile session]: the service's throughput, cost per request and
// Redis footprint, measured against its own /healthz in the same run (docs/benchmark.md).
import { mkdtempSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { Redis } from 'ioredis'
import { anchorCookies } from './bench/anchors.js'
import { fillSessions } from './bench/fill.js'
import { launchRedisServer, type RedisServer } from '../src/dev/redis-server.js'
import { getexLatency, sessionKeyOfCookie, type GetexLatency } from './bench/latency.js'
import type { Load } from './bench/load.js'
import { measureRun, type RunMetrics } from './bench/measure.js'
import { measureMemoryPerSession, type MemoryPerSession } from './bench/memory.js'
import { summarizeProfile, type Share } from './bench/profile.js'
import { keyspaceBytes } from './bench/redis-stats.js'
import { checkTable, fmt, median, medianRatio, perRequest, table, type Check } from './bench/report.js'
import { startService, type BenchService } from './bench/service.js'
import { BENCH, benchEnv, exchangeAll, exchangeHeaders, mintTokens } from './bench/sessions.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    sessions: { type: 'string' },
    profile: { type: 'string' },
    against: { type: 'string' }
  }
})

const quick = args.quick === true
const settings = {
  seconds: Number(args.seconds ?? (quick ? 2 : 8)),
  rounds: Number(args.rounds ?? (quick ? 1 : 5)),
  connections: Number(args.connections ?? 50),
  warmupSeconds: quick ? 1 : 3,
  pool: quick ? 200 : 1000,
  memoryExchanges: quick ? 1000 : 5000,
  bigSessions: Number(args.sessions ?? (quick ? 100_000 : 1_000_000)),
  getexOps: quick ? 2000 : 10_000
}

// Reads carry X-CSRF: 1 as the storefront script sends it: without it they are refused before any Redis command.
const READ_HEADERS = { origin: BENCH.origin, 'x-csrf': '1' }
const PAIRED_ROUNDS = 5
let nextCustomer = 1
const customers = (n: number): number => { const first = nextCustomer; nextCustomer += n; return first }

interface Scenario {
  key: string
  label: string
  service: () => BenchService
  redis: () => Redis
  load: (expectedRps: number) => Promise<Load>
}

const log = (line: string): void => { process.stderr.write(`${line}\n`) }

/** Every service process started, closed at the end whatever happens. */
const running: BenchService[] = []
async function launch (opts: Parameters<typeof startService>[0]): Promise<BenchService> {
  const service = await startService(opts)
  running.push(service)
  return service
}

/** POST bodies: fresh distinct tokens (HS512 unless `alg` says HS256), enough for the run at the rate the warm-up saw, with room. */
async function postLoad (expectedRps: number, alg: 'HS512' | 'HS256' = 'HS512'): Promise<Load> {
  // A run that uses them up is flagged (it ends in replays, 409): the warm-up rate is a low estimate.
  const count = Math.ceil(Math.max(expectedRps * 3, 1000) * settings.seconds)
  const tokens = await mintTokens(count, customers(count), alg)
  return { method: 'POST', path: '/session', headers: exchangeHeaders, bodies: tokens.map((token) => JSON.stringify({ token })) }
}

async function profileRun (redis: RedisServer, scenarioKey: string): Promise<void> {
  const service = await launch({ env: benchEnv(redis.urlOf(0)) })
  try {
    const pool = await exchangeAll(service.url, await mintTokens(settings.pool, customers(settings.pool)))
    const loads: Record<string, (rps: number) => Promise<Load>> = {
      healthz: async () => ({ path: '/healthz' }),
      session: async () => ({ path: '/session', headers: READ_HEADERS, cookies: pool }),
      me: async () => ({ path: '/api/me', headers: READ_HEADERS, cookies: pool }),
      post: postLoad,
      post256: async (rps) => await postLoad(rps, 'HS256')
    }
    const make = loads[scenarioKey]
    if (make === undefined) throw new Error(`--profile takes one of ${Object.keys(loads).join(', ')}`)
    const opts = { connections: settings.connections, seconds: settings.seconds }
    const warm = await measureRun(service, redis.clientOf(0), await make(3000), { ...opts, seconds: settings.warmupSeconds })
    const load = await make(warm.rps)
    const file = join(mkdtempSync(join(tmpdir(), 'bcx-bench-prof-')), `${scenarioKey}.cpuprofile`)
    await service.startProfile()
    const run = await measureRun(service, redis.clientOf(0), load, opts)
    await service.stopProfile(file)
    printProfile(scenarioKey, run, file)
  } finally {
    await service.close()
  }
}

/** Functions on the request paths worth a total (self + callees). */
const WATCHED = ['cors', 'crossSiteGuard', 'sessionCookie', 'parse', 'unsign', 'load', 'read', 'getex',
  'sendCommand', 'decodeRecord', 'body', 'serialize', 'loadCustomer', 'routeHandler', 'onResponse', 'genReqId', 'sessionMember',
  'setSessionCookie', 'exchange', 'verifyCustomerToken', 'verifyPayload', 'writeUtf8String', 'writev']

function printProfile (scenarioKey: string, run: RunMetrics, file: string): void {
  const summary = summarizeProfile(file, WATCHED)
  const rows = (shares: Share[]): string[][] => shares.map((s) => [s.name, fmt.fixed(s.ms, 0), fmt.fixed(s.percent, 1)])
  console.log(`## CPU profile of ${scenarioKey}: ${fmt.int(run.rps)} req/s over ${fmt.fixed(run.seconds, 1)} s, ` +
    `${fmt.int(run.cpuUsPerRequest)} µs service CPU per request, load average ${loadavg()[0]?.toFixed(2) ?? '?'}\n`)
  console.log(`Profile: ${file} (open in Chrome DevTools). Busy time: ${fmt.fixed(summary.totalMs, 0)} ms, idle left out.\n`)
  console.log('Self time by place:\n')
  console.log(table(['place', 'ms', '%'], rows(summary.byPlace.slice(0, 15))))
  console.log('\nSelf time by function:\n')
  console.log(table(['function', 'ms', '%'], rows(summary.byFunction.slice(0, 25))))
  console.log('\nTotal time (with callees) of watched functions:\n')
  console.log(table(['function', 'ms', '%'], rows(summary.watched)))
}

/** The read and exchange paths of this build and another (an older dist/), alternating in one run. */
async function compareRun (redis: RedisServer, otherDist: string): Promise<void> {
  const builds = [
    { name: 'this build', service: await launch({ env: benchEnv(redis.urlOf(0)) }), db: 0 },
    { name: `other build (${otherDist})`, service: await launch({ env: benchEnv(redis.urlOf(3)), entry: resolve(otherDist, 'scripts/bench/service-process.js') }), db: 3 }
  ]
  try {
    const scenarios: Scenario[] = []
    for (const b of builds) {
      const pool = await exchangeAll(b.service.url, await mintTokens(settings.pool, customers(settings.pool), 'HS256'))
      const common = { service: () => b.service, redis: () => redis.clientOf(b.db) }
      scenarios.push(
        { key: `${b.db}:healthz`, label: `${b.name}: GET /healthz`, ...common, load: async () => ({ path: '/healthz' }) },
        { key: `${b.db}:session`, label: `${b.name}: GET /session`, ...common, load: async () => ({ path: '/session', headers: READ_HEADERS, cookies: pool }) },
        { key: `${b.db}:me`, label: `${b.name}: GET /api/me`, ...common, load: async () => ({ path: '/api/me', headers: READ_HEADERS, cookies: pool }) },
        // HS256 for both: a build from before HS512 was accepted refuses BigCommerce's real form.
        { key: `${b.db}:post`, label: `${b.name}: POST /session (HS256)`, ...common, load: async (rps) => await postLoad(rps, 'HS256') }
      )
    }
    const runs = await runRounds(scenarios)
    const of = (key: string): RunMetrics[] => runs[key] ?? []
    const med = (key: string, pick: (m: RunMetrics) => number): number => median(of(key).map(pick))
    console.log(`# This build against ${otherDist}: ${settings.rounds} alternating round(s) of ${settings.seconds} s, ${settings.connections} connections, load average ${loadavg()[0]?.toFixed(2) ?? '?'}\n`)
    console.log(table(['path', 'req/s this / other', 'this vs other (median of rounds)', 'vs own /healthz this / other', 'p99 ms this / other', 'CPU µs/req this / other', 'syscalls/req this / other', 'Redis cmds sent/req this / other'],
      ['healthz', 'session', 'me', 'post'].map((p) => [p,
        `${fmt.int(med(`0:${p}`, (m) => m.rps))} / ${fmt.int(med(`3:${p}`, (m) => m.rps))}`,
        `${fmt.fixed(medianRatio(of(`0:${p}`), of(`3:${p}`), (m) => m.rps))}×`,
        `${fmt.fixed(medianRatio(of(`0:${p}`), of('0:healthz'), (m) => m.rps))} / ${fmt.fixed(medianRatio(of(`3:${p}`), of('3:healthz'), (m) => m.rps))}`,
        `${fmt.fixed(med(`0:${p}`, (m) => m.p99), 0)} / ${fmt.fixed(med(`3:${p}`, (m) => m.p99), 0)}`,
        `${fmt.int(med(`0:${p}`, (m) => m.cpuUsPerRequest))} / ${fmt.int(med(`3:${p}`, (m) => m.cpuUsPerRequest))}`,
        `${fmt.fixed(med(`0:${p}`, (m) => m.syscallsPerRequest))} / ${fmt.fixed(med(`3:${p}`, (m) => m.syscallsPerRequest))}`,
        `${fmt.fixed(med(`0:${p}`, (m) => m.sentPerRequest))} / ${fmt.fixed(med(`3:${p}`, (m) => m.sentPerRequest))}`
      ])))
  } finally {
    await Promise.all(builds.map(async (b) => await b.service.close()))
  }
}

/** A warm-up of each scenario, then the rounds: every scenario once per round, every other round in reverse order. */
async function runRounds (scenarios: readonly Scenario[], afterWarmup?: () => Promise<void>): Promise<Record<string, RunMetrics[]>> {
  const opts = { connections: settings.connections, seconds: settings.seconds }
  log('warm-up')
  const warm: Record<string, RunMetrics> = {}
  for (const s of scenarios) {
    warm[s.key] = await measureRun(s.service(), s.redis(), await s.load(3000), { ...opts, seconds: settings.warmupSeconds })
  }
  await afterWarmup?.()
  const runs: Record<string, RunMetrics[]> = Object.fromEntries(scenarios.map((s) => [s.key, []]))
  for (let round = 1; round <= settings.rounds; round++) {
    // Reversed every other round, so that no path always runs right after the same one.
    for (const s of round % 2 === 0 ? [...scenarios].reverse() : scenarios) {
      log(`round ${round}/${settings.rounds}: ${s.label}`)
      const seen = [warm[s.key], ...(runs[s.key] ?? [])].map((m) => m?.rps ?? 0)
      const load = await s.load(Math.max(...seen))
      // Each run starts from a collected heap: none pays for the garbage of the run before it.
      await s.service().stats({ gc: true })
      runs[s.key]?.push(await measureRun(s.service(), s.redis(), load, opts))
    }
  }
  return runs
}

interface Side { service: BenchService, redis: Redis, load: Load }

/**
 * The same read over a thousand and over a million sessions, both at once with half the connections
 * each: run one after the other, the machine's load drifts between them by more than the effect.
 */
async function pairedReads (small: Side, big: Side): Promise<{ small: RunMetrics[], big: RunMetrics[] }> {
  const opts = { connections: Math.max(1, Math.floor(settings.connections / 2)), seconds: settings.seconds }
  const both = async (seconds: number): Promise<[RunMetrics, RunMetrics]> => await Promise.all([
    measureRun(small.service, small.redis, small.load, { ...opts, seconds }),
    measureRun(big.service, big.redis, big.load, { ...opts, seconds })
  ])
  log('read latency by sessions in Redis: warm-up')
  await both(settings.warmupSeconds)
  const out: { small: RunMetrics[], big: RunMetrics[] } = { small: [], big: [] }
  for (let round = 1; round <= PAIRED_ROUNDS; round++) {
    log(`read latency by sessions in Redis: round ${round}/${PAIRED_ROUNDS}`)
    const [a, b] = await both(settings.seconds)
    out.small.push(a)
    out.big.push(b)
  }
  return out
}

async function main (): Promise<void> {
  const started = new Date()
  const load0 = loadavg()[0] as number
  const redis = await launchRedisServer({ dirPrefix: 'bcx-bench-redis-' })
  redis.onUnexpectedExit((how) => {
    console.error(`redis-server stopped during the run (${how}): no figures from this run`)
    for (const s of running) s.kill()
    process.exit(1)
  })
  try {
    if (args.profile !== undefined) return await profileRun(redis, args.profile)
    if (args.against !== undefined) return await compareRun(redis, args.against)
    // db 0: the service under test; db 1 and db 2: the same service over a thousand and a million sessions.
    const [main, bare, jwtAnchor, cookieAnchor, small, big] = await Promise.all([
      launch({ env: benchEnv(redis.urlOf(0)) }),
      launch({ mode: 'bare' }),
      launch({ mode: 'jwt' }),
      launch({ mode: 'secure-session' }),
      launch({ env: benchEnv(redis.urlOf(1)) }),
      launch({ env: benchEnv(redis.urlOf(2)) })
    ])
    const anchorPool = await anchorCookies(cookieAnchor.url, settings.pool)

    log(`memory: ${settings.memoryExchanges} exchanges`)
    // Not counted: loads the scripts and sizes the connections' buffers.
    await exchangeAll(main.url, await mintTokens(20, customers(20)))
    let mainCookies: string[] = []
    const memoryTokens = await mintTokens(settings.memoryExchanges, customers(settings.memoryExchanges))
    const memory = await measureMemoryPerSession(redis.clientOf(0), settings.memoryExchanges, async () => {
      mainCookies = await exchangeAll(main.url, memoryTokens)
    })
    const pool = mainCookies.slice(0, settings.pool)

    log(`pools: ${settings.pool} sessions on db 1 and db 2, then ${fmt.int(settings.bigSessions - settings.pool)} more on db 2`)
    const smallPool = await exchangeAll(small.url, await mintTokens(settings.pool, customers(settings.pool)))
    const bigPool = await exchangeAll(big.url, await mintTokens(settings.pool, customers(settings.pool)))
    const beforeFill = await keyspaceBytes(redis.clientOf(2))
    await fillSessions(redis.clientOf(2), { storeHash: BENCH.store, origin: BENCH.origin, firstCustomerId: 10_000_000, count: settings.bigSessions - settings.pool })
    const filledBytes = (await keyspaceBytes(redis.clientOf(2)) - beforeFill) / (settings.bigSessions - settings.pool)
    const [smallKeys, bigKeys] = await Promise.all([redis.clientOf(1).dbsize(), redis.clientOf(2).dbsize()])

    const scenarios: Scenario[] = [
      { key: 'bare', label: 'bare Fastify route (anchor)', service: () => bare, redis: () => redis.clientOf(0), load: async () => ({ path: '/healthz' }) },
      {
        key: 'jwt',
        label: 'jose HS512 verify per request (anchor)',
        service: () => jwtAnchor,
        redis: () => redis.clientOf(0),
        // Fresh tokens each run: they must not expire during it.
        load: async () => ({ path: '/whoami', rotateHeader: 'authorization', cookies: (await mintTokens(settings.pool, 1)).map((t) => `Bearer ${t}`) })
      },
      { key: 'cookie', label: 'stateless encrypted cookie, @fastify/secure-session (anchor)', service: () => cookieAnchor, redis: () => redis.clientOf(0), load: async () => ({ path: '/whoami', cookies: anchorPool }) },
      { key: 'healthz', label: 'GET /healthz (baseline)', service: () => main, redis: () => redis.clientOf(0), load: async () => ({ path: '/healthz' }) },
      { key: 'session', label: 'GET /session', service: () => main, redis: () => redis.clientOf(0), load: async () => ({ path: '/session', headers: READ_HEADERS, cookies: pool }) },
      { key: 'me', label: 'GET /api/me', service: () => main, redis: () => redis.clientOf(0), load: async () => ({ path: '/api/me', headers: READ_HEADERS, cookies: pool }) },
      { key: 'post', label: 'POST /session (exchange, HS512)', service: () => main, redis: () => redis.clientOf(0), load: postLoad },
      { key: 'post256', label: 'POST /session (exchange, HS256)', service: () => main, redis: () => redis.clientOf(0), load: async (rps) => await postLoad(rps, 'HS256') }
    ]
    let rssBefore = await main.stats({ gc: true })
    // The anchors run between the reads and the exchange: the exchange's run (tens of thousands of new
    // sessions) is never right before a read of the same service, in either direction of a round.
    const runOrder = ['healthz', 'session', 'me', 'bare', 'jwt', 'cookie', 'post', 'post256'].map((key) => scenarios.find((s) => s.key === key) as Scenario)
    const runs = await runRounds(runOrder, async () => { rssBefore = await main.stats({ gc: true }) })
    const rssAfter = await main.stats({ gc: true })

    const paired = await pairedReads(
      { service: small, redis: redis.clientOf(1), load: { path: '/session', headers: READ_HEADERS, cookies: smallPool } },
      { service: big, redis: redis.clientOf(2), load: { path: '/session', headers: READ_HEADERS, cookies: bigPool } })

    log('GETEX latency, alternating databases')
    const direct: { small: GetexLatency[], big: GetexLatency[] } = { small: [], big: [] }
    const smallSessionKeys = smallPool.map(sessionKeyOfCookie)
    const bigSessionKeys = bigPool.map(sessionKeyOfCookie)
    for (let round = 0; round < Math.max(3, settings.rounds); round++) {
      direct.small.push(await getexLatency(redis.clientOf(1), smallSessionKeys, settings.getexOps))
      direct.big.push(await getexLatency(redis.clientOf(2), bigSessionKeys, settings.getexOps))
    }

    printReport({ started, load0, runs, scenarios, memory, filledBytes, rssBefore, rssAfter, direct, paired, smallKeys, bigKeys })
  } finally {
    await Promise.all(running.map(async (s) => await s.close()))
    await redis.close()
  }
}

interface ReportInput {
  started: Date
  load0: number
  runs: Record<string, RunMetrics[]>
  scenarios: Scenario[]
  memory: MemoryPerSession
  /** Bytes per session of the filled million (record + index, no guard). */
  filledBytes: number
  rssBefore: { rss: number, heapUsed: number }
  rssAfter: { rss: number, heapUsed: number }
  direct: { small: GetexLatency[], big: GetexLatency[] }
  /** GET /session over db 1 and db 2, measured at the same time. */
  paired: { small: RunMetrics[], big: RunMetrics[] }
  smallKeys: number
  bigKeys: number
}

const ANCHORS = new Set(['bare', 'jwt', 'cookie'])

function printReport ({ started, load0, runs, scenarios, memory, filledBytes, rssBefore, rssAfter, direct, paired, smallKeys, bigKeys }: ReportInput): void {
  const of = (key: string): RunMetrics[] => runs[key] ?? []
  const med = (key: string, pick: (m: RunMetrics) => number): number => median(of(key).map(pick))
  const ratio = (key: string, base: string): number => medianRatio(of(key), of(base), (m) => m.rps)
  const cpu = cpus()[0]?.model ?? 'unknown CPU'

  console.log(`# bc-session-exchanger benchmark, ${started.toISOString()}\n`)
  console.log(`${quick ? 'QUICK run (short, indicative only). ' : ''}Node ${process.version}, ${cpus().length} × ${cpu}, ` +
    `load average ${load0.toFixed(2)} at start. autocannon in this process, ${settings.connections} connections, ` +
    `${settings.seconds} s per run, ${settings.rounds} alternating round(s), medians shown; the service and redis-server ` +
    'run in their own processes on the same machine (loopback), request logging off (LOG_LEVEL=warn), rate limits off.\n')

  const mainRows = scenarios.map((s) => [
    s.label,
    fmt.int(med(s.key, (m) => m.rps)),
    s.key === 'bare' ? '—' : fmt.fixed(ratio(s.key, 'healthz')),
    fmt.fixed(ratio(s.key, 'bare')),
    fmt.fixed(med(s.key, (m) => m.p50), 0),
    fmt.fixed(med(s.key, (m) => m.p99), 0),
    fmt.int(med(s.key, (m) => m.cpuUsPerRequest)),
    fmt.fixed(med(s.key, (m) => m.syscallsPerRequest)),
    fmt.fixed(med(s.key, (m) => m.sentPerRequest)),
    fmt.fixed(med(s.key, (m) => m.executedPerRequest)),
    fmt.fixed(med(s.key, (m) => m.redisCpuUsPerRequest), 0),
    String(of(s.key).reduce((a, m) => a + m.failures, 0))
  ])
  console.log(table(['path', 'req/s', 'vs /healthz', 'vs bare Fastify', 'p50 ms', 'p99 ms', 'service CPU µs/req',
    'service syscalls/req', 'Redis cmds sent/req', 'Redis cmds run/req', 'Redis CPU µs/req', 'failed'], mainRows))

  console.log(`\nAgainst the stateless anchors, in this run: GET /session at ${fmt.fixed(ratio('session', 'jwt'))}× the req/s of a jose ` +
    `verification per request and ${fmt.fixed(ratio('session', 'cookie'))}× that of an encrypted cookie; GET /api/me at ` +
    `${fmt.fixed(ratio('me', 'jwt'))}× and ${fmt.fixed(ratio('me', 'cookie'))}×.`)

  console.log(`\nService CPU per exchange: ${fmt.int(med('post', (m) => m.cpuUsPerRequest))} µs with HS512 tokens (BigCommerce's), ` +
    `${fmt.int(med('post256', (m) => m.cpuUsPerRequest))} µs with HS256 tokens (its documentation's form).`)

  console.log('\nRedis commands per answer, by name (last round; "sent": what the service sends, "run": what Redis runs, a script\'s own calls included):\n')
  console.log(table(['path', 'sent', 'run'], scenarios.filter((s) => !ANCHORS.has(s.key)).map((s) => {
    const last = of(s.key).at(-1) as RunMetrics
    return [s.label, perRequest(last.sent, last.served), perRequest(last.executed, last.served)]
  })))

  const reads = ['session', 'me']
  /** Share of reads that sent a second command (the last-seen SET), over every round of the path. */
  const secondCommandShare = (key: string): number =>
    of(key).reduce((a, m) => a + (m.sent.set ?? 0), 0) / Math.max(1, of(key).reduce((a, m) => a + m.served, 0))
  console.log('\nReads that also recorded the last-seen minute (a SET after the GETEX: the first read of a session in a minute; ' +
    `all rounds): ${reads.map((key) => `${key === 'me' ? 'GET /api/me' : 'GET /session'} ${fmt.fixed(secondCommandShare(key) * 100, 3)} %`).join(', ')}.`)

  const bytes = memory.sessionBytes + memory.guardBytes
  console.log(`\nRedis memory around ${fmt.int(memory.exchanges)} exchanges of distinct customers ("keys": MEMORY STATS dataset + ` +
    'hash tables, what the keys take; "used_memory": INFO memory, which also moves with client buffers):\n')
  console.log(table(['what', 'bytes per session (keys)', 'bytes per session (used_memory)', 'MEMORY USAGE of one key', 'keys per exchange'], [
    ['session record + index entry (lives as long as the session)', fmt.int(memory.sessionBytes), fmt.int(memory.usedMemory.sessionBytes),
      `record ${memory.sampled.session}, index ${memory.sampled.index}`, `${memory.keysPerExchange.session} + ${memory.keysPerExchange.index}`],
    ['replay guard (gone ≤ 17 min after the token\'s iat)', fmt.int(memory.guardBytes), fmt.int(memory.usedMemory.guardBytes), String(memory.sampled.guard), String(memory.keysPerExchange.guard)],
    ['all keys an exchange leaves', fmt.int(bytes), fmt.int(memory.usedMemory.sessionBytes + memory.usedMemory.guardBytes), '', ''],
    [`session record + index entry, ${fmt.int(settings.bigSessions - settings.pool)} filled sessions`, fmt.int(filledBytes), '', '', '']
  ]))

  const half = Math.max(1, Math.floor(settings.connections / 2))
  console.log(`\nRead latency by sessions in Redis (db 1 holds ${fmt.int(smallKeys)} keys, db 2 ${fmt.int(bigKeys)}; two instances of the ` +
    `service, one per database, loaded at the same time with ${half} connections each, ${PAIRED_ROUNDS} rounds; GETEX alone: one at a time, alternating):\n`)
  const sides: Array<[string, RunMetrics[], GetexLatency[]]> = [
    [`GET /session, ${fmt.int(settings.pool)} sessions in Redis`, paired.small, direct.small],
    [`GET /session, ${fmt.int(settings.bigSessions)} sessions in Redis`, paired.big, direct.big]
  ]
  console.log(table(['', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'GETEX alone p50 µs', 'GETEX alone p99 µs'], sides.map(([label, runs, d]) => {
    const m = (pick: (r: RunMetrics) => number): number => median(runs.map(pick))
    return [label, fmt.int(m((r) => r.rps)), fmt.fixed(m((r) => r.mean)), fmt.fixed(m((r) => r.p50), 0), fmt.fixed(m((r) => r.p99), 0),
      fmt.int(median(d.map((x) => x.p50))), fmt.int(median(d.map((x) => x.p99)))]
  })))

  console.log(`\nService memory over the measured rounds (after a GC): RSS ${fmt.mb(rssBefore.rss)} → ${fmt.mb(rssAfter.rss)}, ` +
    `heap used ${fmt.mb(rssBefore.heapUsed)} → ${fmt.mb(rssAfter.heapUsed)}.\n`)

  const latencyRatio = medianRatio(paired.big, paired.small, (m) => m.mean)
  const checks: Check[] = [
    ...reads.map((key) => ({ what: `${key === 'me' ? 'GET /api/me' : 'GET /session'} vs /healthz`, measured: `${fmt.fixed(ratio(key, 'healthz'))}×`, target: '≥ 0.50×', ok: ratio(key, 'healthz') >= 0.5 })),
    ...reads.map((key) => ({ what: `${key === 'me' ? 'GET /api/me' : 'GET /session'} Redis commands per read`, measured: `${fmt.fixed(med(key, (m) => m.sentPerRequest))} sent, ${fmt.fixed(med(key, (m) => m.executedPerRequest))} run`, target: '1 (≤ 1.05: the last-seen minute adds one in a few % of reads)', ok: med(key, (m) => m.sentPerRequest) <= 1.05 && med(key, (m) => m.executedPerRequest) <= 1.05 })),
    ...reads.map((key) => ({ what: `${key === 'me' ? 'GET /api/me' : 'GET /session'} p99 at ${settings.connections} connections`, measured: `${fmt.fixed(med(key, (m) => m.p99), 0)} ms`, target: '< 15 ms', ok: med(key, (m) => m.p99) < 15 })),
    ...['post', 'post256'].map((key) => ({ what: `POST /session (${key === 'post' ? 'HS512' : 'HS256'}) vs /healthz`, measured: `${fmt.fixed(ratio(key, 'healthz'))}×`, target: '≥ 0.20×', ok: ratio(key, 'healthz') >= 0.2 })),
    ...reads.map((key) => ({ what: `${key === 'me' ? 'GET /api/me' : 'GET /session'} reads with a second Redis command`, measured: `${fmt.fixed(secondCommandShare(key) * 100, 3)} %`, target: '≤ 5 %', ok: secondCommandShare(key) <= 0.05 })),
    { what: 'Redis bytes per live session (record + index)', measured: fmt.int(memory.sessionBytes), target: '≤ 450', ok: memory.sessionBytes <= 450 },
    { what: `read latency, ${fmt.int(settings.bigSessions)} vs ${fmt.int(settings.pool)} sessions`, measured: `${fmt.fixed(latencyRatio)}× (mean)`, target: '≤ 1.10×', ok: latencyRatio <= 1.1 },
    { what: 'service heap after the rounds (after GC)', measured: `${fmt.mb(rssAfter.heapUsed - rssBefore.heapUsed)} more`, target: 'flat (< 10 MB more)', ok: rssAfter.heapUsed - rssBefore.heapUsed < 10 * 1048576 }
  ]
  console.log(checkTable(checks))
  const failed = scenarios.filter((s) => of(s.key).some((m) => m.failures > 0 || m.exhausted))
  if (failed.length > 0) console.log(`\nWARNING: runs with failed answers or too few tokens: ${failed.map((s) => s.label).join(', ')}`)
}

main().catch((err: Error) => {
  console.error(err)
  process.exitCode = 1
})
