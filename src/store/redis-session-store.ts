// Sessions in Redis (single, Sentinel or Cluster) through ioredis.
import { Cluster, type Redis } from 'ioredis'
import { BCX_STORE_UNAVAILABLE } from '../errors.js'
import { keys, originTag, parseSessionId, sessionMember } from './keys.js'
import { DESTROY, EXCHANGE, RAISE_CUTOFF, REVOKE } from './lua.js'
import { decodeRecord, encodeRecord } from './record-codec.js'
import type { DestroyOutcome, ExchangeOutcome, RevokedSessions, SessionStore } from './session-store.js'

export type RedisClient = Redis | Cluster

interface Scripts {
  bcxExchange (...args: Array<string | number>): Promise<ExchangeOutcome>
  bcxExchangeOneNode (...args: Array<string | number>): Promise<ExchangeOutcome>
  bcxDestroy (...args: Array<string | number>): Promise<number>
  bcxRevoke (...args: Array<string | number>): Promise<number>
  bcxRaiseCutoff (...args: Array<string | number>): Promise<number>
}

export interface RedisSessionStoreOptions {
  /** How long a revocation cutoff must be kept: the longest a token can still verify after its iat. */
  tokenLifetimeSeconds: number
}

/** Every failure of Redis answers 503 with our code; its text stays in the cause (logged, never sent). */
function guarded<T> (work: () => Promise<T>): Promise<T> {
  try {
    return work().catch((err: unknown) => { throw new BCX_STORE_UNAVAILABLE({ cause: err }) })
  } catch (err) {
    return Promise.reject(new BCX_STORE_UNAVAILABLE({ cause: err }))
  }
}

export function createRedisSessionStore (redis: RedisClient, opts: RedisSessionStoreOptions): SessionStore {
  const defined = redis as RedisClient & Scripts
  if (typeof defined.bcxExchange !== 'function') {
    redis.defineCommand('bcxExchange', { numberOfKeys: 4, lua: EXCHANGE })
    redis.defineCommand('bcxExchangeOneNode', { numberOfKeys: 5, lua: EXCHANGE })
    redis.defineCommand('bcxDestroy', { numberOfKeys: 2, lua: DESTROY })
    redis.defineCommand('bcxRevoke', { numberOfKeys: 2, lua: REVOKE })
    redis.defineCommand('bcxRaiseCutoff', { numberOfKeys: 1, lua: RAISE_CUTOFF })
  }
  // ioredis's own flag: an instanceof test fails for a Cluster made by another copy of ioredis.
  const clustered = (redis as { isCluster?: boolean }).isCluster === true
  const cutoffTtlMs = (cutoff: number): number => Math.max(0, (cutoff + opts.tokenLifetimeSeconds) * 1000 - Date.now())

  async function revokeIndex (storeHash: string, customerId: number, cutoff: number, sessions: RevokedSessions, keepCutoff: boolean): Promise<number> {
    const index = keys.index(storeHash, customerId)
    const ttl = keepCutoff ? cutoffTtlMs(cutoff) : 0
    return await defined.bcxRevoke(index, keepCutoff ? keys.customerCutoff(storeHash, customerId) : index,
      cutoff, ttl, keys.sessionPrefix(storeHash, customerId), sessions)
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
    kind: 'redis',

    exchange: async ({ sid, record, fingerprint, guardTtlMs, idleMs, maxPerCustomer }) => guarded(async () => {
      const { storeHash, customer: { id } } = record
      const parts = { storeHash, customerId: id, absoluteAt: record.absoluteAt }
      const sessionKey = keys.session(parts, sid)
      const ttl = Math.min(idleMs, record.absoluteAt - Date.now())
      const customerKeys = [keys.guard(storeHash, id, fingerprint), keys.customerCutoff(storeHash, id), keys.index(storeHash, id), sessionKey]
      const args = [record.iat, guardTtlMs, encodeRecord(record), ttl, sessionMember(sid), maxPerCustomer,
        record.absoluteAt - Date.now(), keys.sessionPrefix(storeHash, id)]
      // One node (single or Sentinel): the script reads the store cutoff too, atomically with the write.
      // A revocation raises the cutoff before it scans, so the session is either refused here or exists
      // before the scan begins and is ended by it. One round trip.
      if (!clustered) return await defined.bcxExchangeOneNode(...customerKeys, keys.storeCutoff(storeHash), ...args)
      const outcome = await defined.bcxExchange(...customerKeys, ...args)
      if (outcome !== 'created') return outcome
      // On a Cluster the store cutoff lives in another slot, so the script cannot read it. Read after the write: a
      // revocation raises the cutoff before it scans, so either this read sees the cutoff, or the
      // session existed before the scan began and the scan ends it. No window, whatever the timing.
      const storeCut = await redis.get(keys.storeCutoff(storeHash))
      if (storeCut === null || record.iat > Number(storeCut)) return 'created'
      await defined.bcxDestroy(sessionKey, keys.index(storeHash, id), '', sessionMember(sid))
      return 'revoked'
    }),

    read: async (sid, idleMs) => {
      const parts = parseSessionId(sid)
      if (parts === null) return null
      const ttl = Math.min(idleMs, parts.absoluteAt - Date.now())
      if (ttl <= 0) return null
      // GETEX reads and slides in one command, and never brings back a key that DELETE removed.
      const text = await guarded(() => redis.getex(keys.session(parts, sid), 'PX', ttl))
      // The store hash, customer and deadline come from the id: its hash names the key, so they are the record's.
      const record = text === null ? null : decodeRecord(text, parts)
      if (record === null) return null
      return { record, expiresAt: Date.now() + ttl }
    },

    destroy: async (sid, origin) => {
      const parts = parseSessionId(sid)
      if (parts === null) return 'missing'
      const result = await guarded(() => defined.bcxDestroy(keys.session(parts, sid), keys.index(parts.storeHash, parts.customerId), origin === undefined ? '' : originTag(origin), sessionMember(sid)))
      const outcomes: Record<string, DestroyOutcome> = { 1: 'destroyed', 0: 'missing', '-1': 'foreign' }
      return outcomes[String(result)] ?? 'missing'
    },

    revokeCustomer: async (storeHash, customerId, cutoff, sessions = 'issued') => guarded(() => revokeIndex(storeHash, customerId, cutoff, sessions, true)),

    revokeStore: async (storeHash, cutoff, sessions = 'issued') => guarded(async () => {
      const ttl = cutoffTtlMs(cutoff)
      if (ttl > 0) await defined.bcxRaiseCutoff(keys.storeCutoff(storeHash), cutoff, ttl)
      return await scanStoreIndexes(storeHash, cutoff, sessions)
    }),

    ping: async () => { await guarded(() => redis.ping()) },
    close: async () => { /* the redis plugin owns the connection */ }
  }
}
