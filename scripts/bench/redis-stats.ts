// What Redis says about itself: command counts (INFO commandstats), memory, CPU.
import type { Redis } from 'ioredis'

export interface RedisSnapshot {
  /** Calls by command, scripts' own calls included; the bench's own INFO/CONFIG/MEMORY calls left out. */
  calls: Record<string, number>
  /** Microseconds Redis spent in those commands. */
  usec: number
  usedMemory: number
  /** used_cpu_user + used_cpu_sys, in microseconds. */
  cpuUsec: number
}

const OWN = /^(info|config|memory|ping|dbsize|scan|flushdb|select|client|unlink|script|eval|evalsha|debug)/

function fields (text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':')
    if (at > 0 && !line.startsWith('#')) out.set(line.slice(0, at), line.slice(at + 1))
  }
  return out
}

export async function snapshot (client: Redis): Promise<RedisSnapshot> {
  const [stats, memory, cpu] = await Promise.all([
    client.info('commandstats'), client.info('memory'), client.info('cpu')
  ])
  const calls: Record<string, number> = {}
  let usec = 0
  for (const [key, value] of fields(stats)) {
    const name = key.replace(/^cmdstat_/, '')
    const n = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0)
    // The service's scripts run as EVALSHA; the bench's own commands are not the service's.
    if (OWN.test(name) && name !== 'evalsha') continue
    calls[name] = n
    usec += Number(/usec=(\d+)/.exec(value)?.[1] ?? 0)
  }
  const mem = fields(memory)
  const c = fields(cpu)
  return {
    calls,
    usec,
    usedMemory: Number(mem.get('used_memory')),
    cpuUsec: Math.round((Number(c.get('used_cpu_user')) + Number(c.get('used_cpu_sys'))) * 1e6)
  }
}

export interface RedisDelta { calls: Record<string, number>, total: number, usec: number, cpuUsec: number }

export function delta (before: RedisSnapshot, after: RedisSnapshot): RedisDelta {
  const calls: Record<string, number> = {}
  let total = 0
  for (const [name, n] of Object.entries(after.calls)) {
    const d = n - (before.calls[name] ?? 0)
    if (d > 0) { calls[name] = d; total += d }
  }
  return { calls, total, usec: after.usec - before.usec, cpuUsec: after.cpuUsec - before.cpuUsec }
}

/** Memory Redis reports once lazy frees and rehashing have settled. */
export async function settledMemory (client: Redis): Promise<number> {
  let last = -1
  for (let i = 0; i < 20; i++) {
    const used = (await snapshot(client)).usedMemory
    if (used === last) return used
    last = used
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return last
}

/**
 * Bytes the keys themselves take: keys, values and Redis's per-key structures (the main and expires
 * hash tables), without client buffers or the script cache, which INFO used_memory also counts.
 */
export async function keyspaceBytes (client: Redis): Promise<number> {
  const stats = await client.call('MEMORY', 'STATS') as unknown[]
  let bytes = 0
  for (let i = 0; i < stats.length; i += 2) {
    const name = String(stats[i])
    const value = stats[i + 1]
    if (name === 'dataset.bytes') bytes += Number(value)
    if (/^db\.\d+$/.test(name) && Array.isArray(value)) {
      for (let j = 0; j < value.length; j += 2) {
        if (/^overhead\.hashtable\.(main|expires)$/.test(String(value[j]))) bytes += Number(value[j + 1])
      }
    }
  }
  return bytes
}
