// The in-process store for development without Redis: same rules, one process, nothing kept.
import { keys } from './keys.js'
import { HANDLE, originTag, parseSessionId, sessionHandle } from './session-id.js'
import { lastSeenAt } from './listed-session.js'
import { minuteOf } from './record-codec.js'
import type { ListedSession, RevokedSessions, SessionStore, StoredSession } from './contract.js'
import { UNKNOWN } from '../lib/user-agent.js'

interface Entry<T> { value: T, expiresAt: number }

/**
 * A customer's index entry, as Redis keeps it: the creation time orders the cap, the token's iat serves
 * revocations.
 */
interface Indexed { createdAt: number, iat: number }

class TtlMap<T> {
  private readonly map = new Map<string, Entry<T>>()
  get (key: string): T | undefined {
    const e = this.map.get(key)
    if (e === undefined) return undefined
    if (e.expiresAt <= Date.now()) { this.map.delete(key); return undefined }
    return e.value
  }

  set (key: string, value: T, ttlMs: number): void { this.map.set(key, { value, expiresAt: Date.now() + ttlMs }) }
  /** When a live entry expires (ms since the epoch). */
  expiresAt (key: string): number | undefined {
    return this.get(key) === undefined ? undefined : this.map.get(key)?.expiresAt
  }

  touch (key: string, ttlMs: number): void {
    const e = this.map.get(key)
    if (e !== undefined) e.expiresAt = Date.now() + ttlMs
  }

  delete (key: string): boolean { return this.map.delete(key) }
  /** Drops expired entries nobody asked for again (guards, cutoffs), so a long dev run stays small. */
  sweep (): void { for (const key of [...this.map.keys()]) this.get(key) }
  keys (): IterableIterator<string> { return this.map.keys() }
}

export function createMemorySessionStore ({ tokenLifetimeSeconds }: { tokenLifetimeSeconds: number }): SessionStore {
  const sessions = new TtlMap<StoredSession>()
  const guards = new TtlMap<true>()
  const cutoffs = new TtlMap<number>()
  /** index key -> member -> its creation time and token iat */
  const indexes = new Map<string, Map<string, Indexed>>()
  /** origin tag -> origin, as the store's origin table in Redis */
  const origins = new Map<string, string>()
  let exchanges = 0
  const cutoffTtl = (cutoff: number): number => (cutoff + tokenLifetimeSeconds) * 1000 - Date.now()

  function raiseCutoff (key: string, cutoff: number): void {
    if (cutoffTtl(cutoff) > 0 && (cutoffs.get(key) ?? -Infinity) < cutoff) cutoffs.set(key, cutoff, cutoffTtl(cutoff))
  }

  function revokeIndex (storeHash: string, customerId: number, cutoff: number, ended: RevokedSessions): number {
    const index = indexes.get(keys.index(storeHash, customerId))
    let n = 0
    for (const [member, { iat }] of index ?? []) {
      if (ended === 'issued' && iat > cutoff) continue
      if (sessions.delete(keys.sessionPrefix(storeHash, customerId) + member)) n++
      index?.delete(member)
    }
    return n
  }

  return {
    async exchange ({ sid, record, fingerprint, guardTtlMs, idleMs, maxPerCustomer }) {
      if (++exchanges % 1000 === 0) for (const map of [sessions, guards, cutoffs]) map.sweep()
      const { storeHash, id } = record.customer
      const storeCut = cutoffs.get(keys.storeCutoff(storeHash)) ?? -Infinity
      const customerCut = cutoffs.get(keys.customerCutoff(storeHash, id)) ?? -Infinity
      const cut = Math.max(storeCut, customerCut)
      if (record.iat <= cut) return 'revoked'
      const guard = keys.guard(storeHash, id, fingerprint)
      if (guards.get(guard) !== undefined) return 'replayed'
      guards.set(guard, true, guardTtlMs)
      const prefix = keys.sessionPrefix(storeHash, id)
      const indexKey = keys.index(storeHash, id)
      const index = indexes.get(indexKey) ?? new Map<string, Indexed>()
      indexes.set(indexKey, index)
      for (const member of index.keys()) if (sessions.get(prefix + member) === undefined) index.delete(member)
      const oldestFirst = [...index].sort((a, b) => a[1].createdAt - b[1].createdAt).map(([m]) => m)
      let newest = 0
      for (const { createdAt } of index.values()) newest = Math.max(newest, createdAt)
      while (index.size >= maxPerCustomer) {
        const oldest = oldestFirst.shift() as string
        index.delete(oldest)
        sessions.delete(prefix + oldest)
      }
      // What Redis would keep: the origin as its tag; the creation time (strictly after the newest, as
      // the script makes it) and the iat beside the member.
      const stored: StoredSession = {
        customer: record.customer,
        originTag: originTag(record.origin),
        absoluteAt: record.absoluteAt,
        agent: record.agent ?? { browser: UNKNOWN, os: UNKNOWN },
        lastSeenMinute: minuteOf(Date.now())
      }
      origins.set(stored.originTag, record.origin)
      const sessionKey = keys.session({ storeHash, customerId: id, absoluteAt: record.absoluteAt }, sid)
      sessions.set(sessionKey, stored, Math.min(idleMs, record.absoluteAt - Date.now()))
      index.set(sessionHandle(sid), { createdAt: Math.max(Date.now(), newest + 1), iat: record.iat })
      return 'created'
    },

    async read (sid, idleMs) {
      const parts = parseSessionId(sid)
      if (parts === null) return null
      const ttl = Math.min(idleMs, parts.absoluteAt - Date.now())
      const key = keys.session(parts, sid)
      const record = ttl > 0 ? sessions.get(key) : undefined
      if (record === undefined || record.absoluteAt !== parts.absoluteAt) return null
      sessions.touch(key, ttl)
      record.lastSeenMinute = Math.max(record.lastSeenMinute ?? 0, minuteOf(Date.now()))
      return { record: { ...record }, expiresAt: Date.now() + ttl }
    },

    async destroy (sid, origin) {
      const parts = parseSessionId(sid)
      if (parts === null) return 'missing'
      const key = keys.session(parts, sid)
      const record = sessions.get(key)
      if (record === undefined) return 'missing'
      if (origin !== undefined && record.originTag !== originTag(origin)) return 'foreign'
      sessions.delete(key)
      indexes.get(keys.index(parts.storeHash, parts.customerId))?.delete(sessionHandle(sid))
      return 'destroyed'
    },

    async revokeCustomerSessions (storeHash, customerId, cutoff, ended = 'issued') {
      raiseCutoff(keys.customerCutoff(storeHash, customerId), cutoff)
      return revokeIndex(storeHash, customerId, cutoff, ended)
    },

    async revokeStoreSessions (storeHash, cutoff, ended = 'issued') {
      raiseCutoff(keys.storeCutoff(storeHash), cutoff)
      let n = 0
      for (const indexKey of indexes.keys()) {
        const owner = keys.parseIndexKey(indexKey)
        if (owner?.storeHash === storeHash) n += revokeIndex(owner.storeHash, owner.customerId, cutoff, ended)
      }
      return n
    },

    async list (storeHash, customerId) {
      const prefix = keys.sessionPrefix(storeHash, customerId)
      const listed: ListedSession[] = []
      for (const [member, { createdAt }] of indexes.get(keys.index(storeHash, customerId)) ?? []) {
        const record = sessions.get(prefix + member)
        const expiresAt = sessions.expiresAt(prefix + member)
        if (record === undefined || expiresAt === undefined) continue
        listed.push({
          handle: member,
          createdAt,
          lastSeenAt: lastSeenAt(record.lastSeenMinute, createdAt),
          expiresAt,
          origin: origins.get(record.originTag) ?? null,
          agent: record.agent
        })
      }
      return listed.sort((a, b) => a.createdAt - b.createdAt)
    },

    async endByHandle (storeHash, customerId, handle) {
      if (!HANDLE.test(handle)) return false
      const index = indexes.get(keys.index(storeHash, customerId))
      const ended = sessions.get(keys.sessionPrefix(storeHash, customerId) + handle) !== undefined &&
        sessions.delete(keys.sessionPrefix(storeHash, customerId) + handle)
      index?.delete(handle)
      return ended
    },

    async endSessions (storeHash, customerId, keep) {
      const index = indexes.get(keys.index(storeHash, customerId))
      let n = 0
      for (const member of [...(index?.keys() ?? [])]) {
        if (member === keep) continue
        if (sessions.get(keys.sessionPrefix(storeHash, customerId) + member) !== undefined) n++
        sessions.delete(keys.sessionPrefix(storeHash, customerId) + member)
        index?.delete(member)
      }
      return n
    },

    async ping () {},
    async close () {}
  }
}
