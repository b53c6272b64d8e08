// Compact JSON for a session record: short field names keep Redis memory per session small.
import type { SessionRecord } from './session-store.js'

interface Stored { c: number, e: string, g: string | null, s: string, o: string, i: number, a: number }

export function encodeRecord (r: SessionRecord): string {
  const stored: Stored = { c: r.customer.id, e: r.customer.email, g: r.customer.group_id, s: r.storeHash, o: r.origin, i: r.iat, a: r.absoluteAt }
  return JSON.stringify(stored)
}

/** null for anything that is not a record this service wrote. */
export function decodeRecord (text: string): SessionRecord | null {
  let v: Partial<Stored>
  try {
    v = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof v !== 'object' || v === null || typeof v.c !== 'number' || typeof v.e !== 'string' ||
    (v.g !== null && typeof v.g !== 'string') || typeof v.s !== 'string' || typeof v.o !== 'string' ||
    typeof v.i !== 'number' || typeof v.a !== 'number') return null
  return { customer: { id: v.c, email: v.e, group_id: v.g ?? null }, storeHash: v.s, origin: v.o, iat: v.i, absoluteAt: v.a }
}
