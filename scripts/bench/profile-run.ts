// --profile PATH: one service, one path warmed up, then a V8 CPU profile of one measured run, summed up.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchContext } from './context.js'
import { measureRun, type RunMetrics } from './measure.js'
import { summarizeProfile, type Share } from './profile.js'
import { fmt, loadAverage, table } from './report.js'
import { runOptions, warmUp } from './rounds.js'
import { bindScenario, loadInputs, type ServicePathKey } from './scenarios.js'
import { benchEnv, exchangeAll } from './sessions.js'

export async function profileRun (ctx: BenchContext, key: ServicePathKey): Promise<void> {
  const { settings, redis } = ctx
  const service = await ctx.services.start({ env: benchEnv(redis.urlOf(0)) })
  const pool = await exchangeAll(service.url, await ctx.tokens(settings.pool))
  const scenario = bindScenario(key, key, { service, redis: redis.clientOf(0), inputs: loadInputs(ctx, pool) })
  const warm = await warmUp(ctx, scenario)
  const load = await scenario.load(warm.rps)
  const file = join(mkdtempSync(join(tmpdir(), 'bcx-bench-prof-')), `${key}.cpuprofile`)
  await service.startProfile()
  const run = await measureRun(service, scenario.redis, load, runOptions(settings))
  await service.stopProfile(file)
  printProfile(key, run, file)
}

function printProfile (key: ServicePathKey, run: RunMetrics, file: string): void {
  const summary = summarizeProfile(file)
  const rows = (shares: Share[]): string[][] => shares.map((s) => [s.name, fmt.fixed(s.ms, 0), fmt.fixed(s.percent, 1)])
  console.log(`## CPU profile of ${key}: ${fmt.int(run.rps)} req/s over ${fmt.fixed(run.seconds, 1)} s, ` +
    `${fmt.int(run.cpuUsPerRequest)} µs service CPU per request, load average ${loadAverage()}\n`)
  console.log(`Profile: ${file} (open in Chrome DevTools). ` +
    `Busy time: ${fmt.fixed(summary.totalMs, 0)} ms, idle left out.\n`)
  console.log('Self time by place:\n')
  console.log(table(['place', 'ms', '%'], rows(summary.byPlace.slice(0, 15))))
  console.log('\nSelf time by function (the service\'s own are those in src/):\n')
  console.log(table(['function', 'ms', '%'], rows(summary.byFunction)))
  console.log('\nTotal time (with callees) of the service\'s own functions:\n')
  console.log(table(['function', 'ms', '%'], rows(summary.ours)))
}
