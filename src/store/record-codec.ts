// The stored value of a session: only what the signed session id does not carry (store hash,
// customer id and absolute deadline come from the id), in a compact text that Redis keeps as an
// embedded string (one allocation) up to 44 bytes. Bytes per session: docs/benchmark.md.
//
//   <origin tag, 11 chars><kind><rest>
//   kind 'n': group_id null; rest is the email
//   kind 's': rest is `<group length>:<group><email>`
//   kind 'j': rest is JSON [group, email] (a lone surrogate would not survive UTF-8 otherwise)
//
// The email comes last and the group is length-prefixed, so neither needs a delimiter it could contain.
// The DESTROY script reads the origin tag as the value's first ORIGIN_TAG_LENGTH bytes.
import { ORIGIN_TAG_LENGTH, originTag, type SessionIdParts } from './keys.js'
import type { SessionCustomer, SessionRecord, StoredSession } from './session-store.js'

const TAG = new RegExp(`^[A-Za-z0-9_-]{${ORIGIN_TAG_LENGTH}}$`)
const GROUP_LENGTH = /^(0|[1-9][0-9]{0,15}):/
/** A lone surrogate: in Unicode mode a well-formed pair is one code point and does not match. */
const LONE_SURROGATE = /\p{Cs}/u

export function encodeRecord (r: SessionRecord): string {
  const tag = originTag(r.origin)
  const { email, group_id: group } = r.customer
  if (LONE_SURROGATE.test(email) || (group !== null && LONE_SURROGATE.test(group))) return `${tag}j${JSON.stringify([group, email])}`
  return group === null ? `${tag}n${email}` : `${tag}s${group.length}:${group}${email}`
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
  const customer = decodeCustomer(text.charAt(ORIGIN_TAG_LENGTH), text.slice(ORIGIN_TAG_LENGTH + 1))
  if (customer === null) return null
  return {
    customer: { id: parts.customerId, email: customer.email, group_id: customer.group_id },
    storeHash: parts.storeHash,
    originTag: tag,
    absoluteAt: parts.absoluteAt
  }
}
