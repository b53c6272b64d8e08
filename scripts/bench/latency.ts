// Redis read latency as the service sees it, without HTTP: one GETEX at a time on the pool's keys.
import type { Redis } from 'ioredis'
import { keys } from '../../src/store/keys.js'
import { parseSessionId } from '../../src/store/session-id.js'

/** The Redis key of the session a `name=value` cookie carries (the value is `sid.signature`). */
export function sessionKeyOfCookie (cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  const sid = value.slice(0, value.lastIndexOf('.'))
  const parts = parseSessionId(sid)
  if (parts === null) throw new Error('not a session cookie')
  return keys.session(parts, sid)
}

export interface GetexLatency { ops: number, p50: number, p99: number, mean: number }

/** Microseconds per GETEX (sliding by idleMs, as the service does), `ops` of them in sequence. */
export async function getexLatency (
  client: Redis,
  sessionKeys: readonly string[],
  ops: number,
  idleMs = 1_800_000
): Promise<GetexLatency> {
  const times: number[] = []
  for (let i = 0; i < ops; i++) {
    const key = sessionKeys[i % sessionKeys.length] as string
    const start = process.hrtime.bigint()
    const found = await client.getex(key, 'PX', idleMs)
    times.push(Number(process.hrtime.bigint() - start) / 1000)
    if (found === null) throw new Error('a pool session is missing from Redis')
  }
  times.sort((a, b) => a - b)
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number
  return { ops, p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length }
}
