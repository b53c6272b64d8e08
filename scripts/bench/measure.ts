// One measured run: the load, and around it what the service and Redis spent on it.
import type { Redis } from 'ioredis'
import { runLoad, type Load, type LoadOptions, type LoadResult } from './load.js'
import { delta, snapshot } from './redis-stats.js'
import type { BenchService } from './service.js'

export interface RunMetrics extends LoadResult {
  /** Requests the service received during the run (the per-request figures below divide by it). */
  served: number
  /** Service CPU time (user + system) per request. */
  cpuUsPerRequest: number
  /** read + write system calls of the service per request (sockets to clients and to Redis). */
  syscallsPerRequest: number
  /** Commands the service sent to Redis per request, and by name. */
  sentPerRequest: number
  sent: Record<string, number>
  /** Commands Redis executed per request, a script's own calls included, and by name. */
  executedPerRequest: number
  executed: Record<string, number>
  redisCpuUsPerRequest: number
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0)

function diff (after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [name, n] of Object.entries(after)) if (n - (before[name] ?? 0) > 0) out[name] = n - (before[name] ?? 0)
  return out
}

export async function measureRun (
  service: BenchService,
  redis: Redis,
  load: Load,
  opts: LoadOptions
): Promise<RunMetrics> {
  const [s0, r0] = await Promise.all([service.stats(), snapshot(redis)])
  const result = await runLoad(service.url, load, opts)
  const [s1, r1] = await Promise.all([service.stats(), snapshot(redis)])
  const served = s1.served - s0.served
  const n = Math.max(1, served)
  const cpu = (s1.cpu.user + s1.cpu.system) - (s0.cpu.user + s0.cpu.system)
  const sent = diff(s1.commands, s0.commands)
  const executed = delta(r0, r1)
  return {
    ...result,
    served,
    cpuUsPerRequest: cpu / n,
    syscallsPerRequest: (s1.syscalls.reads + s1.syscalls.writes - s0.syscalls.reads - s0.syscalls.writes) / n,
    sentPerRequest: sum(sent) / n,
    sent,
    executedPerRequest: executed.total / n,
    executed: executed.calls,
    redisCpuUsPerRequest: executed.cpuUsec / n
  }
}
