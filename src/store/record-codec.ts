// The stored value of a session: only what the signed session id does not carry (store hash,
// customer id and absolute deadline come from the id), in a compact text that Redis keeps as an
// embedded string (one allocation) up to 44 bytes. Bytes per session: docs/benchmark.md.
//
//   <origin tag, 11 chars><kind><token iat, 7 base36 digits><rest>
//   kind 'N': group_id null; rest is the email
//   kind 'S': rest is `<group length>:<group><email>`
//   kind 'J': rest is JSON [group, email] (a lone surrogate would not survive UTF-8 otherwise)
//
// The email comes last and the group is length-prefixed, so neither needs a delimiter it could contain.
// The iat is there for revocations by BigCommerce's created_at (the index is ordered by creation
// time); it is the token's iat rounded up, so `stored <= cutoff` exactly when `iat <= cutoff` for a
// whole-second cutoff. Seven digits hold any iat before the year 4400.
// Values written before the iat was kept have a lower-case kind ('n', 's', 'j') and no iat; their
// index score is the iat. They still read.
// The Lua scripts read the origin tag as the value's first ORIGIN_TAG_LENGTH bytes and the iat as the
// IAT_DIGITS bytes after the kind (lua.ts).
import { ORIGIN_TAG_LENGTH, originTag, type SessionIdParts } from './keys.js'
import type { SessionCustomer, SessionRecord, StoredSession } from './session-store.js'

/** Width of the stored iat, in base36 digits. */
export const IAT_DIGITS = 7

const TAG = new RegExp(`^[A-Za-z0-9_-]{${ORIGIN_TAG_LENGTH}}$`)
const IAT = new RegExp(`^[0-9a-z]{${IAT_DIGITS}}$`)
const GROUP_LENGTH = /^(0|[1-9][0-9]{0,15}):/
/** A lone surrogate: in Unicode mode a well-formed pair is one code point and does not match. */
const LONE_SURROGATE = /\p{Cs}/u

export function encodeRecord (r: SessionRecord): string {
  const tag = originTag(r.origin)
  const iat = Math.ceil(r.iat).toString(36).padStart(IAT_DIGITS, '0')
  const { email, group_id: group } = r.customer
  if (LONE_SURROGATE.test(email) || (group !== null && LONE_SURROGATE.test(group))) return `${tag}J${iat}${JSON.stringify([group, email])}`
  return group === null ? `${tag}N${iat}${email}` : `${tag}S${iat}${group.length}:${group}${email}`
}

function decodeCustomer (kind: string, rest: string): Omit<SessionCustomer, 'id'> | null {
  if (kind === 'n') return { email: rest, group_id: null }
  if (kind === 's') {
    const m = GROUP_LENGTH.exec(rest)
    if (m === null) return null
    const start = m[0].length
    const end = start + Number(m[1])
    if (end > rest.length) return null
    return { email: rest.slice(end), group_id: rest.slice(start, end) }
  }
  if (kind === 'j') {
    let v: unknown
    try {
      v = JSON.parse(rest)
    } catch {
      return null
    }
    if (!Array.isArray(v) || v.length !== 2 || (v[0] !== null && typeof v[0] !== 'string') || typeof v[1] !== 'string') return null
    return { email: v[1], group_id: v[0] }
  }
  return null
}

/** The session, rebuilt from its id's parts and the stored value; null for anything this service did not write. */
export function decodeRecord (text: string, parts: SessionIdParts): StoredSession | null {
  const tag = text.slice(0, ORIGIN_TAG_LENGTH)
  if (!TAG.test(tag)) return null
  const kind = text.charAt(ORIGIN_TAG_LENGTH)
  const lower = kind.toLowerCase()
  // An upper-case kind carries the iat; a lower-case one was written before it did.
  const restAt = ORIGIN_TAG_LENGTH + 1 + (kind === lower ? 0 : IAT_DIGITS)
  if (kind !== lower && !IAT.test(text.slice(ORIGIN_TAG_LENGTH + 1, restAt))) return null
  const customer = decodeCustomer(lower, text.slice(restAt))
  if (customer === null) return null
  return {
    customer: { id: parts.customerId, email: customer.email, group_id: customer.group_id },
    storeHash: parts.storeHash,
    originTag: tag,
    absoluteAt: parts.absoluteAt
  }
}
