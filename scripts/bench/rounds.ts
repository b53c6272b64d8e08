// The run loops: scenarios warmed up, then measured once per round in alternating order; and one read
// over two databases, both sides loaded at once.
import type { Redis } from 'ioredis'
import type { BenchContext } from './context.js'
import type { Load, LoadOptions } from './load.js'
import { measureRun, type RunMetrics } from './measure.js'
import type { Scenario } from './scenarios.js'
import type { BenchService } from './service.js'
import type { Settings } from './settings.js'

/** A measured run's length and connections. */
export const runOptions = ({ connections, seconds }: Settings): LoadOptions => ({ connections, seconds })

/** A short run that is not counted: its rate sizes the loads of the measured ones. */
export async function warmUp (ctx: BenchContext, s: Scenario): Promise<RunMetrics> {
  const opts = { ...runOptions(ctx.settings), seconds: ctx.settings.warmupSeconds }
  return await measureRun(s.service, s.redis, await s.load(3000), opts)
}

/** A warm-up of each scenario, then the rounds: every scenario once per round, every other round in reverse order. */
export async function runRounds<Id extends string> (
  ctx: BenchContext,
  scenarios: ReadonlyArray<Scenario<Id>>,
  afterWarmup?: () => Promise<void>
): Promise<Record<Id, RunMetrics[]>> {
  const { rounds } = ctx.settings
  ctx.log('warm-up')
  const best = new Map<Id, number>()
  for (const s of scenarios) best.set(s.id, (await warmUp(ctx, s)).rps)
  await afterWarmup?.()
  const runs = Object.fromEntries(scenarios.map((s) => [s.id, []])) as unknown as Record<Id, RunMetrics[]>
  for (let round = 1; round <= rounds; round++) {
    // Reversed every other round, so that no path always runs right after the same one.
    for (const s of round % 2 === 0 ? [...scenarios].reverse() : scenarios) {
      ctx.log(`round ${round}/${rounds}: ${s.label}`)
      const load = await s.load(best.get(s.id) ?? 0)
      // Each run starts from a collected heap: none pays for the garbage of the run before it.
      await s.service.stats({ gc: true })
      const run = await measureRun(s.service, s.redis, load, runOptions(ctx.settings))
      runs[s.id].push(run)
      best.set(s.id, Math.max(best.get(s.id) ?? 0, run.rps))
    }
  }
  return runs
}

export interface Side { service: BenchService, redis: Redis, load: Load }
export interface Paired { small: RunMetrics[], big: RunMetrics[] }

/**
 * The same read over a thousand and over a million sessions, both at once with half the connections
 * each: run one after the other, the machine's load drifts between them by more than the effect.
 */
export async function pairedReads (ctx: BenchContext, small: Side, big: Side): Promise<Paired> {
  const { settings } = ctx
  const opts = { connections: Math.max(1, Math.floor(settings.connections / 2)), seconds: settings.seconds }
  const both = async (seconds: number): Promise<[RunMetrics, RunMetrics]> => await Promise.all([
    measureRun(small.service, small.redis, small.load, { ...opts, seconds }),
    measureRun(big.service, big.redis, big.load, { ...opts, seconds })
  ])
  ctx.log('read latency by sessions in Redis: warm-up')
  await both(settings.warmupSeconds)
  const out: Paired = { small: [], big: [] }
  for (let round = 1; round <= settings.pairedRounds; round++) {
    ctx.log(`read latency by sessions in Redis: round ${round}/${settings.pairedRounds}`)
    const [a, b] = await both(settings.seconds)
    out.small.push(a)
    out.big.push(b)
  }
  return out
}
