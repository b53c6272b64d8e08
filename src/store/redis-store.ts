// Sessions in Redis (single, Sentinel or Cluster) through ioredis.
import { Cluster, type Redis } from 'ioredis'
import { BCX_STORE_UNAVAILABLE } from '../errors.js'
import { keys } from './keys.js'
import { HANDLE, originTag, parseSessionId, sessionHandle } from './session-id.js'
import { DESTROY, END_SESSIONS, EXCHANGE, LIST, RAISE_CUTOFF, REVOKE } from './lua.js'
import { decodeRecord, encodeRecord, minuteOf, withLastSeen } from './record-codec.js'
import { listedSession } from './listed-session.js'
import type { DestroyOutcome, ExchangeOutcome, RevokedSessions, SessionStore } from './contract.js'

export type RedisClient = Redis | Cluster

interface Scripts {
  bcxExchange (...args: Array<string | number>): Promise<ExchangeOutcome>
  bcxExchangeOneNode (...args: Array<string | number>): Promise<ExchangeOutcome>
  bcxDestroy (...args: Array<string | number>): Promise<number>
  bcxRevoke (...args: Array<string | number>): Promise<number>
  bcxRaiseCutoff (...args: Array<string | number>): Promise<number>
  bcxList (...args: Array<string | number>): Promise<Array<string | number>>
  bcxEndSessions (...args: Array<string | number>): Promise<number>
}

export interface RedisSessionStoreOptions {
  /** How long a revocation cutoff must be kept: the longest a token can still verify after its iat. */
  tokenLifetimeSeconds: number
}

/** Every failure of Redis answers 503 with our code; its text stays in the cause (logged, never sent). */
function unavailableOnFailure<T> (work: () => Promise<T>): Promise<T> {
  try {
    return work().catch((err: unknown) => { throw new BCX_STORE_UNAVAILABLE({ cause: err }) })
  } catch (err) {
    return Promise.reject(new BCX_STORE_UNAVAILABLE({ cause: err }))
  }
}

export function createRedisSessionStore (redis: RedisClient, opts: RedisSessionStoreOptions): SessionStore {
  const scripted = redis as RedisClient & Scripts
  if (typeof scripted.bcxExchange !== 'function') {
    redis.defineCommand('bcxExchange', { numberOfKeys: 4, lua: EXCHANGE })
    redis.defineCommand('bcxExchangeOneNode', { numberOfKeys: 5, lua: EXCHANGE })
    redis.defineCommand('bcxDestroy', { numberOfKeys: 2, lua: DESTROY })
    redis.defineCommand('bcxRevoke', { numberOfKeys: 2, lua: REVOKE })
    redis.defineCommand('bcxRaiseCutoff', { numberOfKeys: 1, lua: RAISE_CUTOFF })
    redis.defineCommand('bcxList', { numberOfKeys: 1, lua: LIST })
    redis.defineCommand('bcxEndSessions', { numberOfKeys: 1, lua: END_SESSIONS })
  }
  // ioredis's own flag: an instanceof test fails for a Cluster made by another copy of ioredis.
  const clustered = (redis as { isCluster?: boolean }).isCluster === true
  const cutoffTtlMs = (cutoff: number): number => Math.max(0, (cutoff + opts.tokenLifetimeSeconds) * 1000 - Date.now())

  async function revokeIndex (
    storeHash: string,
    customerId: number,
    cutoff: number,
    sessions: RevokedSessions,
    keepCutoff: boolean
  ): Promise<number> {
    const index = keys.index(storeHash, customerId)
    const ttl = keepCutoff ? cutoffTtlMs(cutoff) : 0
    return await scripted.bcxRevoke(index, keepCutoff ? keys.customerCutoff(storeHash, customerId) : index,
      cutoff, ttl, keys.sessionPrefix(storeHash, customerId), sessions)
  }

  // Store origins this process has written to the store's origin table ('<store> <tag>'): a store has a
  // few origins, so after the first exchange from each, the table costs no command.
  const knownOrigins = new Set<string>()
  async function rememberOrigin (storeHash: string, origin: string): Promise<void> {
    const known = `${storeHash} ${originTag(origin)}`
    if (knownOrigins.has(known)) return
    await redis.hset(keys.storeOrigins(storeHash), originTag(origin), origin)
    if (knownOrigins.size >= 10_000) knownOrigins.clear()
    knownOrigins.add(known)
  }

  async function created (storeHash: string, origin: string): Promise<'created'> {
    // Best effort: a listing shows a tag it cannot name as an unknown origin; the session is made.
    await rememberOrigin(storeHash, origin).catch(() => {})
    return 'created'
  }

  async function scanStoreIndexes (storeHash: string, cutoff: number, sessions: RevokedSessions): Promise<number> {
    const nodes: Redis[] = clustered ? (redis as Cluster).nodes('master') : [redis as Redis]
    let revoked = 0
    for (const node of nodes) {
      let cursor = '0'
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', keys.storeIndexPattern(storeHash), 'COUNT', 1000)
        cursor = next
        for (const key of found) {
          const owner = keys.parseIndexKey(key)
          if (owner !== null) revoked += await revokeIndex(owner.storeHash, owner.customerId, cutoff, sessions, false)
        }
      } while (cursor !== '0')
    }
    return revoked
  }

  return {
    exchange: async (input) => unavailableOnFailure(async () => {
      const { sid, record, fingerprint, guardTtlMs, idleMs, maxPerCustomer } = input
      const { storeHash, id } = record.customer
      const parts = { storeHash, customerId: id, absoluteAt: record.absoluteAt }
      const sessionKey = keys.session(parts, sid)
      const ttl = Math.min(idleMs, record.absoluteAt - Date.now())
      const customerKeys = [
        keys.guard(storeHash, id, fingerprint),
        keys.customerCutoff(storeHash, id),
        keys.index(storeHash, id),
        sessionKey
      ]
      const args = [record.iat, guardTtlMs, encodeRecord(record), ttl, sessionHandle(sid), maxPerCustomer,
        record.absoluteAt - Date.now(), keys.sessionPrefix(storeHash, id)]
      // One node (single or Sentinel): the script reads the store cutoff too, atomically with the write.
      // A revocation raises the cutoff before it scans, so the session is either refused here or exists
      // before the scan begins and is ended by it. One round trip.
      if (!clustered) {
        const outcome = await scripted.bcxExchangeOneNode(...customerKeys, keys.storeCutoff(storeHash), ...args)
        return outcome === 'created' ? await created(storeHash, record.origin) : outcome
      }
      const outcome = await scripted.bcxExchange(...customerKeys, ...args)
      if (outcome !== 'created') return outcome
      // On a Cluster the store cutoff lives in another slot, so the script cannot read it. Read after the write: a
      // revocation raises the cutoff before it scans, so either this read sees the cutoff, or the
      // session existed before the scan began and the scan ends it. No window, whatever the timing.
      const storeCut = await redis.get(keys.storeCutoff(storeHash))
      if (storeCut === null || record.iat > Number(storeCut)) return await created(storeHash, record.origin)
      await scripted.bcxDestroy(sessionKey, keys.index(storeHash, id), '', sessionHandle(sid))
      return 'revoked'
    }),

    read: async (sid, idleMs) => {
      const parts = parseSessionId(sid)
      if (parts === null) return null
      const ttl = Math.min(idleMs, parts.absoluteAt - Date.now())
      if (ttl <= 0) return null
      const key = keys.session(parts, sid)
      // GETEX reads and slides in one command, and never brings back a key that DELETE removed.
      const text = await unavailableOnFailure(() => redis.getex(key, 'PX', ttl))
      // The store hash, customer and deadline come from the id: its hash names the key, so they are the record's.
      const record = text === null ? null : decodeRecord(text, parts)
      if (record === null) return null
      const minute = minuteOf(Date.now())
      // The first read of a minute records it; every other read is the GETEX alone. XX: a session ended
      // meanwhile stays ended; KEEPTTL: the GETEX's slide stands. Not awaited: the answer does not depend
      // on it, and a lost write only leaves the last use a minute older. Only forward: an instance
      // whose clock is behind does not move it back.
      if (record.lastSeenMinute !== null && record.lastSeenMinute < minute) {
        const touched = withLastSeen(text as string, minute)
        if (touched !== null) redis.set(key, touched, 'KEEPTTL', 'XX').catch(() => {})
      }
      return { record, expiresAt: Date.now() + ttl }
    },

    destroy: async (sid, origin) => {
      const parts = parseSessionId(sid)
      if (parts === null) return 'missing'
      const result = await unavailableOnFailure(() => scripted.bcxDestroy(
        keys.session(parts, sid),
        keys.index(parts.storeHash, parts.customerId),
        origin === undefined ? '' : originTag(origin),
        sessionHandle(sid)
      ))
      const outcomes: Record<string, DestroyOutcome> = { 1: 'destroyed', 0: 'missing', '-1': 'foreign' }
      return outcomes[String(result)] ?? 'missing'
    },

    revokeCustomerSessions: async (storeHash, customerId, cutoff, sessions = 'issued') =>
      unavailableOnFailure(() => revokeIndex(storeHash, customerId, cutoff, sessions, true)),

    revokeStoreSessions: async (storeHash, cutoff, sessions = 'issued') => unavailableOnFailure(async () => {
      const ttl = cutoffTtlMs(cutoff)
      if (ttl > 0) await scripted.bcxRaiseCutoff(keys.storeCutoff(storeHash), cutoff, ttl)
      return await scanStoreIndexes(storeHash, cutoff, sessions)
    }),

    list: async (storeHash, customerId) => unavailableOnFailure(async () => {
      const flat = await scripted.bcxList(keys.index(storeHash, customerId), keys.sessionPrefix(storeHash, customerId))
      const now = Date.now()
      const found = []
      for (let i = 0; i + 3 < flat.length; i += 4) {
        const listed = listedSession(
          String(flat[i]),
          Number(flat[i + 1]),
          String(flat[i + 2]),
          now + Number(flat[i + 3]),
          { storeHash, customerId }
        )
        if (listed !== null) found.push(listed)
      }
      const tags = [...new Set(found.map((f) => f.originTag))]
      const texts = tags.length === 0 ? [] : await redis.hmget(keys.storeOrigins(storeHash), ...tags)
      const origins = new Map(tags.map((tag, i) => [tag, texts[i] ?? null]))
      return found.map(({ originTag: tag, ...rest }) => ({ ...rest, origin: origins.get(tag) ?? null }))
    }),

    endByHandle: async (storeHash, customerId, handle) => unavailableOnFailure(async () => {
      // The handle becomes part of a key name: only the form sessionHandle makes.
      if (!HANDLE.test(handle)) return false
      const key = keys.sessionPrefix(storeHash, customerId) + handle
      return await scripted.bcxDestroy(key, keys.index(storeHash, customerId), '', handle) === 1
    }),

    endSessions: async (storeHash, customerId, keep) => unavailableOnFailure(() => scripted.bcxEndSessions(
      keys.index(storeHash, customerId),
      keys.sessionPrefix(storeHash, customerId),
      keep ?? ''
    )),

    ping: async () => { await unavailableOnFailure(() => redis.ping()) },
    close: async () => { /* the redis plugin owns the connection */ }
  }
}
