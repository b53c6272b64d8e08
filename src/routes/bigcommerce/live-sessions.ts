// How many sessions of a store are live, for the merchant page. A SCAN over every key of Redis (the
// store's sessions share no slot or prefix to narrow it): fine for a page a merchant opens now and then,
// never used on the session read path, and remembered for a while so that repeated views do not rescan.
import type { Cluster, Redis } from 'ioredis'
import type { RedisClient } from '../../store/redis-store.js'

/** Every session key of a store: `bcx:{<store>:<customer>}:s:<member>` (src/store/keys.ts). */
export const storeSessionPattern = (storeHash: string): string => `bcx:{${storeHash}:*}:s:*`

/** null on the in-process store, which keeps its sessions to itself. */
export async function countStoreSessions (redis: RedisClient | null, storeHash: string): Promise<number | null> {
  if (redis === null) return null
  const clustered = (redis as { isCluster?: boolean }).isCluster === true
  const nodes: Redis[] = clustered ? (redis as Cluster).nodes('master') : [redis as Redis]
  // SCAN may return a key twice while the keyspace is rehashed: count distinct keys.
  const seen = new Set<string>()
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', storeSessionPattern(storeHash), 'COUNT', 1000)
      cursor = next
      for (const key of found) seen.add(key)
    } while (cursor !== '0')
  }
  return seen.size
}

export interface LiveSessionCounter {
  /** The store's live sessions, counted at most once per `ttlMs` on this instance. */
  count (storeHash: string): Promise<number | null>
  /**
   * Counts afresh and forgets what was remembered: the install page, reached only with a code BigCommerce
   * issued (one each). Not remembered, so that the first load after shoppers sign in counts them.
   */
  countNow (storeHash: string): Promise<number | null>
  /** The next count scans again: after every session of the store ended. */
  forget (storeHash: string): void
}

export interface CounterOptions {
  ttlMs?: number
  /** Stores remembered at most; past it the oldest answers go first. */
  maxStores?: number
  now?: () => number
}

/**
 * Per instance, in memory: a count up to `ttlMs` old is good enough for a merchant's page, and a reload
 * (or many merchants' pages) must not turn into a SCAN of the whole keyspace each. Concurrent views of
 * one store share one SCAN.
 */
export function createLiveSessionCounter (
  redis: RedisClient | null,
  { ttlMs = 30_000, maxStores = 1000, now = Date.now }: CounterOptions = {}
): LiveSessionCounter {
  const remembered = new Map<string, { at: number, count: Promise<number | null> }>()

  function scan (storeHash: string): Promise<number | null> {
    const count = countStoreSessions(redis, storeHash)
    remembered.delete(storeHash)
    remembered.set(storeHash, { at: now(), count })
    // A failed count is not remembered: the next view asks Redis again.
    count.catch(() => { if (remembered.get(storeHash)?.count === count) remembered.delete(storeHash) })
    while (remembered.size > maxStores) remembered.delete(remembered.keys().next().value as string)
    return count
  }

  return {
    async count (storeHash) {
      const known = remembered.get(storeHash)
      if (known !== undefined && now() - known.at < ttlMs) return await known.count
      return await scan(storeHash)
    },
    async countNow (storeHash) {
      remembered.delete(storeHash)
      return await countStoreSessions(redis, storeHash)
    },
    forget (storeHash) {
      remembered.delete(storeHash)
    }
  }
}
