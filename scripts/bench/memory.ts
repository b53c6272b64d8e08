// Redis bytes per session: memory around a few thousand real exchanges, then again without the replay
// guards, so the guards (gone 15 minutes after their token's iat) are counted apart.
import type { Redis } from 'ioredis'
import { keyspaceBytes, settledMemory } from './redis-stats.js'

export interface MemoryPerSession {
  exchanges: number
  /** The session record and its index entry: what stays for the session's whole life (MEMORY STATS: keys only). */
  sessionBytes: number
  /** The single-use guard of the token, kept until the token could no longer verify (≤ ~17 minutes). */
  guardBytes: number
  /** The same two from INFO used_memory, which also moves with client buffers and the script cache. */
  usedMemory: { sessionBytes: number, guardBytes: number }
  /** MEMORY USAGE of one key of each kind (key, value and Redis's own overhead; no expiry entry). */
  sampled: { session: number, index: number, guard: number }
  /** Keys found per kind, divided by the exchanges: each should be 1. */
  keysPerExchange: { session: number, index: number, guard: number }
}

async function scanKeys (client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    found.push(...keys)
  } while (cursor !== '0')
  return found
}

const measure = async (client: Redis): Promise<{ keys: number, used: number }> =>
  ({ used: await settledMemory(client), keys: await keyspaceBytes(client) })

/**
 * `exchange` does the exchanges; the Redis database of `client` must hold no other guard. Do a few
 * exchanges first (not counted) so the scripts are loaded and the connections' buffers allocated.
 */
export async function measureMemoryPerSession (
  client: Redis,
  exchanges: number,
  exchange: () => Promise<unknown>
): Promise<MemoryPerSession> {
  const patterns = ['bcx:*:s:*', 'bcx:*:i', 'bcx:*:g:*']
  const scan = async (): Promise<Array<Set<string>>> =>
    await Promise.all(patterns.map(async (p) => new Set(await scanKeys(client, p))))
  const keysBefore = await scan()
  const before = await measure(client)
  await exchange()
  const withGuards = await measure(client)
  // Only the keys these exchanges wrote.
  const [sessions = [], indexes = [], guards = []] = (await scan())
    .map((now, i) => [...now].filter((k) => keysBefore[i]?.has(k) !== true))
  const usage = async (keys: string[]): Promise<number> =>
    keys[0] === undefined ? 0 : Number(await client.memory('USAGE', keys[0], 'SAMPLES', 0))
  const sampled = { session: await usage(sessions), index: await usage(indexes), guard: await usage(guards) }
  for (let i = 0; i < guards.length; i += 1000) await client.unlink(...guards.slice(i, i + 1000))
  const withoutGuards = await measure(client)
  const per = (a: number, b: number): number => Math.round((a - b) / exchanges)
  return {
    exchanges,
    sessionBytes: per(withoutGuards.keys, before.keys),
    guardBytes: per(withGuards.keys, withoutGuards.keys),
    usedMemory: {
      sessionBytes: per(withoutGuards.used, before.used),
      guardBytes: per(withGuards.used, withoutGuards.used)
    },
    sampled,
    keysPerExchange: {
      session: sessions.length / exchanges,
      index: indexes.length / exchanges,
      guard: guards.length / exchanges
    }
  }
}
