// Redis key names. Everything of one customer shares the hash tag {store:customer}, so an exchange
// touches one Cluster slot and runs as one script.
import { STORE_HASH_PATTERN } from '../lib/store-hash.js'
import { sessionHandle, type SessionIdParts } from './session-id.js'

const tag = (storeHash: string, customerId: number): string => `bcx:{${storeHash}:${customerId}}`

const INDEX_KEY = new RegExp(`^bcx:\\{(${STORE_HASH_PATTERN}):([0-9]+)\\}:i$`)

export const keys = {
  sessionPrefix: (storeHash: string, customerId: number) => `${tag(storeHash, customerId)}:s:`,
  /** Redis holds only a hash of the id (its handle): a dump of Redis yields no cookie. */
  session: (p: SessionIdParts, sid: string) => `${tag(p.storeHash, p.customerId)}:s:${sessionHandle(sid)}`,
  index: (storeHash: string, customerId: number) => `${tag(storeHash, customerId)}:i`,
  guard: (storeHash: string, customerId: number, fingerprint: string) =>
    `${tag(storeHash, customerId)}:g:${fingerprint}`,
  customerCutoff: (storeHash: string, customerId: number) => `${tag(storeHash, customerId)}:c`,
  storeCutoff: (storeHash: string) => `bcx:{${storeHash}}:c`,
  /** Hash of origin tag -> origin, for the store's listings: a session keeps only the tag. */
  storeOrigins: (storeHash: string) => `bcx:{${storeHash}}:o`,
  /** SCAN pattern for the per-customer indexes of one store (store hashes hold no glob characters). */
  storeIndexPattern: (storeHash: string) => `bcx:{${storeHash}:*}:i`,
  parseIndexKey: (key: string): { storeHash: string, customerId: number } | null => {
    const m = INDEX_KEY.exec(key)
    return m === null ? null : { storeHash: m[1] as string, customerId: Number(m[2]) }
  }
}
