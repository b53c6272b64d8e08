// What the store reads of a session id, the handles a listing shows, and what a session keeps of its
// origin. The session rules make the ids (session/ids.ts); everything here is pure.
import { createHash, hash } from 'node:crypto'
import { boundedMemo } from '../lib/bounded-memo.js'
import { STORE_HASH_PATTERN } from '../lib/store-hash.js'

/** What a session id says of itself: its customer (for the Redis hash tag) and its absolute deadline. */
export interface SessionIdParts { storeHash: string, customerId: number, absoluteAt: number }

const SESSION_ID = new RegExp(`^(${STORE_HASH_PATTERN})\\.([1-9][0-9]{0,15})\\.([0-9a-z]{1,12})\\.([A-Za-z0-9_-]{43})$`)

/** The id names its customer and its absolute deadline, so a read caps the idle TTL without a lookup. */
export function formatSessionId ({ storeHash, customerId, absoluteAt }: SessionIdParts, random: string): string {
  return `${storeHash}.${customerId}.${Math.floor(absoluteAt / 1000).toString(36)}.${random}`
}

export function parseSessionId (sid: string): SessionIdParts | null {
  const m = SESSION_ID.exec(sid)
  if (m === null) return null
  const customerId = Number(m[2])
  if (!Number.isSafeInteger(customerId)) return null
  return { storeHash: m[1] as string, customerId, absoluteAt: parseInt(m[3] as string, 36) * 1000 }
}

/**
 * A session's handle: its member in its customer's index and the last part of its Redis key, and what
 * a listing calls it. A hash of the id, so a dump of Redis or a listing yields no cookie. 96 bits (16
 * characters) tell one customer's few sessions apart and resist a preimage search (2^96, and a cookie
 * needs the signing secret besides); it names a session only within its customer's index. The sizes
 * are chosen for Redis's small encodings (docs/benchmark.md). The first 16 characters of the digest's
 * base64url are exactly its first 12 bytes'.
 */
export const sessionHandle = (sid: string): string => hash('sha256', sid, 'base64url').slice(0, 16)

/** A handle as sessionHandle makes them; anything else names no session (and never a key). */
export const HANDLE = /^[A-Za-z0-9_-]{16}$/

/** Length of an origin tag: 64 bits, base64url. */
export const ORIGIN_TAG_LENGTH = 11

/**
 * What a session keeps of its origin: a 64-bit hash, compared with the request's (an origin that
 * differs yet hashes alike would need a second preimage, and an allowed origin besides). Origins are
 * few, so the hashes are remembered.
 */
export const originTag = boundedMemo((origin) =>
  createHash('sha256').update(origin).digest().subarray(0, 8).toString('base64url'))
