// --against DIR: the service's paths on this build and on another build's dist/, alternating in one
// run, side by side.
import { resolve } from 'node:path'
import type { BenchContext } from './context.js'
import type { RunMetrics } from './measure.js'
import { fmt, loadAverage, resultsOf, table } from './report.js'
import { runRounds } from './rounds.js'
import { bindScenario, loadInputs, SCENARIOS, type Scenario, type ServicePathKey } from './scenarios.js'
import { benchEnv, exchangeAll } from './sessions.js'

// HS256 exchanges: a build from before HS512 was accepted refuses BigCommerce's real form.
const COMPARED = ['healthz', 'session', 'me', 'post256'] as const satisfies readonly ServicePathKey[]
type Id = `${'this' | 'other'}:${(typeof COMPARED)[number]}`

export async function compareRun (ctx: BenchContext, otherDist: string): Promise<void> {
  const { settings, redis, services } = ctx
  const builds = [
    { side: 'this', name: 'this build', db: 0 },
    {
      side: 'other',
      name: `other build (${otherDist})`,
      db: 3,
      // The older build's own service process: the entry point is the one thing both builds must share.
      entry: resolve(otherDist, 'scripts/bench/service-process.js')
    }
  ] as const
  const scenarios: Array<Scenario<Id>> = []
  for (const b of builds) {
    const service = await services.start({ env: benchEnv(redis.urlOf(b.db)), ...('entry' in b && { entry: b.entry }) })
    // HS256 for the pool as well, for the same reason.
    const pool = await exchangeAll(service.url, await ctx.tokens(settings.pool, 'HS256'))
    const on = { service, redis: redis.clientOf(b.db), inputs: loadInputs(ctx, pool) }
    for (const key of COMPARED) {
      scenarios.push(bindScenario(`${b.side}:${key}`, key, on, `${b.name}: ${SCENARIOS[key].name}`))
    }
  }
  const r = resultsOf(await runRounds(ctx, scenarios))
  const both = (key: (typeof COMPARED)[number], pick: (m: RunMetrics) => number, show: (n: number) => string): string =>
    `${show(r.med(`this:${key}`, pick))} / ${show(r.med(`other:${key}`, pick))}`
  const fixed = (n: number): string => fmt.fixed(n)
  const ms = (n: number): string => fmt.fixed(n, 0)
  console.log(`# This build against ${otherDist}: ${settings.rounds} alternating round(s) of ${settings.seconds} s, ` +
    `${settings.connections} connections, load average ${loadAverage()}\n`)
  console.log(table(['path', 'req/s this / other', 'this vs other (median of rounds)', 'vs own /healthz this / other',
    'p99 ms this / other', 'CPU µs/req this / other', 'syscalls/req this / other', 'Redis cmds sent/req this / other'],
  COMPARED.map((key) => [key,
    both(key, (m) => m.rps, fmt.int),
    `${fmt.fixed(r.ratio(`this:${key}`, `other:${key}`))}×`,
    `${fixed(r.ratio(`this:${key}`, 'this:healthz'))} / ${fixed(r.ratio(`other:${key}`, 'other:healthz'))}`,
    both(key, (m) => m.p99, ms),
    both(key, (m) => m.cpuUsPerRequest, fmt.int),
    both(key, (m) => m.syscallsPerRequest, fixed),
    both(key, (m) => m.sentPerRequest, fixed)
  ])))
}
