// What Redis holds, read back for assertions: session keys, a dump of every key and value, half-written
// exchanges, and snapshots for "a refused request changed nothing".
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Test } from 'tap'
import { parseSessionId } from '../../src/store/session-id.js'
import { keys } from '../../src/store/keys.js'
import type { RedisServer } from './redis-server.js'
import { sidOf } from './session.js'

/** Counts the session keys in Redis (each exchange that succeeded leaves one). */
export async function sessionKeyCount (redis: RedisServer): Promise<number> {
  return (await redis.client.keys('bcx:*:s:*')).length
}

/** A key's value as text: a string as it is, anything else as JSON of its members (scores included). */
async function valueOf (client: Redis, key: string): Promise<string[]> {
  const type = await client.type(key)
  if (type === 'string') return [await client.get(key) ?? '']
  if (type === 'zset') return await client.zrange(key, 0, -1, 'WITHSCORES')
  if (type === 'hash') return Object.entries(await client.hgetall(key)).flat()
  if (type === 'set') return (await client.smembers(key)).sort()
  if (type === 'list') return await client.lrange(key, 0, -1)
  return [`<${type}>`]
}

/** Every key and every value in Redis, as text (what a dump of Redis would hold). */
export async function dumpRedis (client: Redis): Promise<Array<{ key: string, values: string[] }>> {
  const out: Array<{ key: string, values: string[] }> = []
  let cursor = '0'
  do {
    const [next, found] = await client.scan(cursor, 'COUNT', 1000)
    cursor = next
    for (const key of found) out.push({ key, values: await valueOf(client, key) })
  } while (cursor !== '0')
  return out
}

/**
 * Session keys whose member is missing from the customer's index: a half-written exchange.
 * (Index members without a key are allowed: they are expired sessions the next exchange sweeps.)
 */
export async function orphanSessions (client: Redis): Promise<string[]> {
  const orphans: string[] = []
  for (const key of await client.keys('bcx:*:s:*')) {
    const m = /^(bcx:\{[^}]+\}):s:(.+)$/.exec(key)
    if (m === null) { orphans.push(key); continue }
    if (await client.zscore(`${m[1] as string}:i`, m[2] as string) === null) orphans.push(key)
  }
  return orphans
}

export interface SnapshotOptions {
  /** Which keys (a KEYS pattern); every key by default. */
  pattern?: string
  /** Keys left out, e.g. rate-limit counters that count refused attempts by design. */
  skip?: (key: string) => boolean
  /** The app whose last writes may still be in flight: a PING on its connection lands after them. */
  app?: FastifyInstance
}

export interface RedisSnapshot {
  values: Record<string, string>
  /** Remaining ttl in ms (-1: none). */
  ttls: Record<string, number>
}

/** Every key with its value and remaining ttl. */
export async function snapshot (client: Redis, { pattern = '*', skip = () => false, app }: SnapshotOptions = {}):
Promise<RedisSnapshot> {
  await app?.redis?.ping()
  const out: RedisSnapshot = { values: {}, ttls: {} }
  for (const key of (await client.keys(pattern)).filter((k) => !skip(k)).sort()) {
    out.values[key] = JSON.stringify(await valueOf(client, key))
    out.ttls[key] = await client.pttl(key)
  }
  return out
}

/**
 * "Nothing changed": the same keys and values as `before`, and no deadline pushed back (a ttl only runs
 * down). `slides`: keys a refused request may legitimately slide (a session read before its origin is
 * compared). Takes the same options as the snapshot it compares with.
 */
export async function assertUnchanged (t: Test, client: Redis, before: RedisSnapshot, what: string,
  opts: SnapshotOptions & { slides?: string[] } = {}): Promise<void> {
  const after = await snapshot(client, opts)
  t.same(after.values, before.values, `${what}: the same keys and values`)
  const slides = new Set(opts.slides ?? [])
  // 50 ms of slack: two reads of one ttl a moment apart may round differently.
  const pushedBack = Object.keys(after.ttls)
    .filter((k) => !slides.has(k) && (after.ttls[k] as number) > (before.ttls[k] as number) + 50)
  t.same(pushedBack, [], `${what}: no deadline pushed back`)
}

/** The Redis key of the session a cookie pair (`name=value`) carries. */
export function sessionKeyOf (cookie: string): string {
  const sid = sidOf(cookie)
  const parts = parseSessionId(sid)
  if (parts === null) throw new Error(`not a session id: ${sid}`)
  return keys.session(parts, sid)
}

/** Calls per Redis command since the last CONFIG RESETSTAT (or start), the test's own INFO and CONFIG left out. */
export async function commandCalls (client: Redis): Promise<Record<string, number>> {
  const stats = await client.info('commandstats')
  return Object.fromEntries([...stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)]
    .filter(([, cmd]) => cmd !== 'info' && cmd !== 'config')
    .map(([, cmd, n]) => [cmd as string, Number(n)]))
}

/** The Redis commands run since the last call (or start), as `name=count`; counting then starts again. */
export async function commandsSince (client: Redis): Promise<string[]> {
  const calls = await commandCalls(client)
  await client.config('RESETSTAT')
  return Object.entries(calls).map(([cmd, n]) => `${cmd}=${n}`)
}
