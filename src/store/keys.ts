// Session ids and Redis key names. Everything of one customer shares the hash tag {store:customer},
// so an exchange touches one Cluster slot and runs as one script.
import { createHash, hash, randomFillSync } from 'node:crypto'
import { boundedMemo } from '../lib/bounded-memo.js'

export interface SessionIdParts { storeHash: string, customerId: number, absoluteAt: number }

const SID = /^([A-Za-z0-9]{1,64})\.([1-9][0-9]{0,15})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/

// Random bytes drawn 8 KiB at a time, as crypto.randomUUID() does: a randomBytes(32) call per id costs
// twenty times more (docs/benchmark.md). Each byte is handed out once.
const pool = Buffer.alloc(32 * 256)
let poolOffset = pool.length

function random256Bits (): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const bits = pool.toString('base64url', poolOffset, poolOffset + 32)
  poolOffset += 32
  return bits
}

/** The id names its customer (for the hash tag) and its absolute deadline (to cap the idle TTL without a read). */
export function newSessionId ({ storeHash, customerId, absoluteAt }: SessionIdParts): string {
  return `${storeHash}.${customerId}.${Math.floor(absoluteAt / 1000).toString(36)}.${random256Bits()}`
}

export function parseSessionId (sid: string): SessionIdParts | null {
  const m = SID.exec(sid)
  if (m === null) return null
  const customerId = Number(m[2])
  if (!Number.isSafeInteger(customerId)) return null
  return { storeHash: m[1] as string, customerId, absoluteAt: parseInt(m[3] as string, 36) * 1000 }
}

const tag = (storeHash: string, customerId: number): string => `bcx:{${storeHash}:${customerId}}`

/**
 * Redis holds only a hash of the id: a dump of Redis yields no cookie. 96 bits (16 characters) tell
 * one customer's few sessions apart and resist a preimage search (2^96, and a cookie needs the
 * signing secret besides); they keep the index's one-entry listpack in a 32-byte allocation, where
 * 17 or more characters take 48 (bytes per session: docs/benchmark.md). The first 16 characters of the
 * digest's base64url are exactly its first 12 bytes', and the one-shot hash() is four times cheaper than
 * createHash() on the read path.
 */
export const sessionMember = (sid: string): string => hash('sha256', sid, 'base64url').slice(0, 16)

/**
 * What a listing calls a session: its member. It names the session only within its customer's index
 * (a foreign customer's member names no key of this customer), and it is a hash of the id: it cannot
 * be turned back into a session id, let alone a signed cookie.
 */
export const sessionHandle = sessionMember

/** A handle as sessionHandle makes them; anything else names no session. */
export const HANDLE = /^[A-Za-z0-9_-]{16}$/

/** Length of an origin tag: 64 bits, base64url. */
export const ORIGIN_TAG_LENGTH = 11

/**
 * What a session keeps of its origin: a 64-bit hash, compared with the request's (an origin that
 * differs yet hashes alike would need a second preimage, and an allowed origin besides). Origins are
 * few, so the hashes are remembered.
 */
export const originTag = boundedMemo((origin) => createHash('sha256').update(origin).digest().subarray(0, 8).toString('base64url'))

export const keys = {
  sessionPrefix: (storeHash: string, customerId: number) => `${tag(storeHash, customerId)}:s:`,
  session: (p: SessionIdParts, sid: string) => `${tag(p.storeHash, p.customerId)}:s:${sessionMember(sid)}`,
  index: (storeHash: string, customerId: number) => `${tag(storeHash, customerId)}:i`,
  guard: (storeHash: string, customerId: number, fingerprint: string) => `${tag(storeHash, customerId)}:g:${fingerprint}`,
  customerCutoff: (storeHash: string, customerId: number) => `${tag(storeHash, customerId)}:c`,
  storeCutoff: (storeHash: string) => `bcx:{${storeHash}}:c`,
  /** Hash of origin tag -> origin, for the store's listings: a session keeps only the tag. */
  storeOrigins: (storeHash: string) => `bcx:{${storeHash}}:o`,
  /** SCAN pattern for the per-customer indexes of one store (store hashes hold no glob characters). */
  storeIndexPattern: (storeHash: string) => `bcx:{${storeHash}:*}:i`,
  parseIndexKey: (key: string): { storeHash: string, customerId: number } | null => {
    const m = /^bcx:\{([A-Za-z0-9]+):([0-9]+)\}:i$/.exec(key)
    return m === null ? null : { storeHash: m[1] as string, customerId: Number(m[2]) }
  }
}
