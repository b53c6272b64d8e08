// How many sessions of a store are live, for the merchant page. A SCAN over the store's session keys:
// fine for a page a merchant opens now and then, never used on the session read path.
import type { Cluster, Redis } from 'ioredis'
import type { RedisClient } from '../../store/redis-session-store.js'

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
