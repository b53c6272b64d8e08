// A listing's entry, from what the index and the stored value hold.
import { decodeRecord, scoredByIat } from './record-codec.js'
import type { ListedSession } from './contract.js'

export type ListedWithTag = Omit<ListedSession, 'origin'> & { originTag: string }

/**
 * The last use as a listing shows it: the start of its minute, never before the session was made (a
 * session made at 12:00:40 and not used since was last seen at 12:00:40, not 12:00:00).
 */
export const lastSeenAt = (minute: number | null, createdAt: number): number | null =>
  minute === null ? null : Math.max(createdAt, minute * 60_000)

/** Null for a value this service did not write. */
export function listedSession (handle: string, score: number, text: string, expiresAt: number,
  owner: { storeHash: string, customerId: number }): ListedWithTag | null {
  // The absolute deadline is in the id, which a listing does not have; the remaining ttl already honours it.
  const record = decodeRecord(text, { ...owner, absoluteAt: 0 })
  if (record === null) return null
  // Before the index was scored by creation time it was scored by the token's iat (s), a close stand-in.
  const createdAt = scoredByIat(text) ? score * 1000 : score
  return {
    handle,
    createdAt,
    lastSeenAt: lastSeenAt(record.lastSeenMinute, createdAt),
    expiresAt,
    originTag: record.originTag,
    agent: record.agent
  }
}
