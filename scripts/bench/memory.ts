// Redis bytes per session: INFO memory around a few thousand real exchanges, then again without the
// replay guards, so the guards (gone 15 minutes after their token's iat) are counted apart.
import type { Redis } from 'ioredis'
import { settledMemory } from './redis-stats.js'

export interface MemoryPerSession {
  exchanges: number
  /** The session record and its index entry: what stays for the session's whole life. */
  sessionBytes: number
  /** The single-use guard of the token, kept until the token could no longer verify (≤ ~17 minutes). */
  guardBytes: number
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

/** `exchange` does the exchanges; Redis database of `client` must hold nothing else of the service's. */
export async function measureMemoryPerSession (client: Redis, exchanges: number, exchange: () => Promise<unknown>): Promise<MemoryPerSession> {
  const before = await settledMemory(client)
  await exchange()
  const withGuards = await settledMemory(client)
  const [sessions, indexes, guards] = await Promise.all(['bcx:*:s:*', 'bcx:*:i', 'bcx:*:g:*'].map(async (p) => await scanKeys(client, p)))
  const usage = async (keys: string[] | undefined): Promise<number> => keys?.[0] === undefined ? 0 : Number(await client.memory('USAGE', keys[0], 'SAMPLES', 0))
  const sampled = { session: await usage(sessions), index: await usage(indexes), guard: await usage(guards) }
  for (let i = 0; i < (guards?.length ?? 0); i += 1000) await client.unlink(...(guards as string[]).slice(i, i + 1000))
  const withoutGuards = await settledMemory(client)
  return {
    exchanges,
    sessionBytes: Math.round((withoutGuards - before) / exchanges),
    guardBytes: Math.round((withGuards - withoutGuards) / exchanges),
    sampled,
    keysPerExchange: {
      session: (sessions?.length ?? 0) / exchanges,
      index: (indexes?.length ?? 0) / exchanges,
      guard: (guards?.length ?? 0) / exchanges
    }
  }
}
