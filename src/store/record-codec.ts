// The stored value of a session: only what the signed session id does not carry (store hash,
// customer id and absolute deadline come from the id), in a compact text. Bytes per session:
// docs/benchmark.md.
//
//   <origin tag, 11 chars><kind><token iat, 7 base36 digits><browser><os><last-seen minute, 6 base36 digits><rest>
//   kind 'A': no customer group; rest is the email
//   kind 'B': rest is `<group length>:<group><email>`
//   kind 'C': rest is JSON [group, email] (a lone surrogate would not survive UTF-8 otherwise)
//
// The email comes last and the group is length-prefixed, so neither needs a delimiter it could contain.
// The iat is there for revocations by BigCommerce's created_at (the index is ordered by creation
// time); it is the token's iat rounded up, so `stored <= cutoff` exactly when `iat <= cutoff` for a
// whole-second cutoff. Seven digits hold any iat before the year 4400. Browser and OS are one code
// each (user-agent.ts). The last-seen minute (ms since the epoch / 60000) sits at a fixed place, so a
// read rewrites it without decoding the rest; six digits hold any minute before the year 6100.
//
// Values of the first release still read: kinds 'n', 's', 'j' (the same customer encodings, without the
// iat, browser, OS and minute; their index score is the iat).
// The Lua scripts read the origin tag as the value's first ORIGIN_TAG_LENGTH bytes and, for an upper-case
// kind, the iat as the IAT_DIGITS bytes after the kind (lua.ts).
import { ORIGIN_TAG_LENGTH, originTag, type SessionIdParts } from './session-id.js'
import { AGENT_CODE, UNKNOWN, type AgentCodes } from '../lib/user-agent.js'
import type { Customer } from '../customer.js'
import type { SessionRecord, StoredSession } from './contract.js'

/** Width of the stored iat, in base36 digits. */
export const IAT_DIGITS = 7
/** Width of the stored last-seen minute, in base36 digits. */
export const MINUTE_DIGITS = 6
/** Where the last-seen minute begins in a value of the current format. */
const MINUTE_AT = ORIGIN_TAG_LENGTH + 1 + IAT_DIGITS + 2
/** How each kind encodes the customer: 'A', 'B', 'C' (this format) as 'n', 's', 'j' (the first release's). */
const ENCODING: Record<string, string> = { A: 'n', B: 's', C: 'j', n: 'n', s: 's', j: 'j' }
const isCurrent = (kind: string): boolean => kind === 'A' || kind === 'B' || kind === 'C'
const NO_AGENT: AgentCodes = { browser: UNKNOWN, os: UNKNOWN }

export const minuteOf = (ms: number): number => Math.floor(ms / 60_000)

const TAG = new RegExp(`^[A-Za-z0-9_-]{${ORIGIN_TAG_LENGTH}}$`)
const IAT = new RegExp(`^[0-9a-z]{${IAT_DIGITS}}$`)
const MINUTE = new RegExp(`^[0-9a-z]{${MINUTE_DIGITS}}$`)
const GROUP_LENGTH = /^(0|[1-9][0-9]{0,15}):/
/** A lone surrogate: in Unicode mode a well-formed pair is one code point and does not match. */
const LONE_SURROGATE = /\p{Cs}/u

const minuteText = (minute: number): string => minute.toString(36).padStart(MINUTE_DIGITS, '0')

/** The value of a new session; `lastSeenMs` is its exchange. */
export function encodeRecord (r: SessionRecord, lastSeenMs = Date.now()): string {
  const tag = originTag(r.origin)
  const iat = Math.ceil(r.iat).toString(36).padStart(IAT_DIGITS, '0')
  const { browser, os } = r.agent ?? NO_AGENT
  const meta = `${iat}${browser}${os}${minuteText(minuteOf(lastSeenMs))}`
  const { email, groupId: group } = r.customer
  const hasLoneSurrogate = LONE_SURROGATE.test(email) || (group !== null && LONE_SURROGATE.test(group))
  if (hasLoneSurrogate) return `${tag}C${meta}${JSON.stringify([group, email])}`
  return group === null ? `${tag}A${meta}${email}` : `${tag}B${meta}${group.length}:${group}${email}`
}

/**
 * The same value, last used in `minute`; null for a value of an older format (it has no minute, and
 * is left as it is until it expires).
 */
export function withLastSeen (text: string, minute: number): string | null {
  if (!isCurrent(text.charAt(ORIGIN_TAG_LENGTH))) return null
  return text.slice(0, MINUTE_AT) + minuteText(minute) + text.slice(MINUTE_AT + MINUTE_DIGITS)
}

function decodeCustomer (kind: string, rest: string): Pick<Customer, 'email' | 'groupId'> | null {
  if (kind === 'n') return { email: rest, groupId: null }
  if (kind === 's') {
    const m = GROUP_LENGTH.exec(rest)
    if (m === null) return null
    const start = m[0].length
    const end = start + Number(m[1])
    if (end > rest.length) return null
    return { email: rest.slice(end), groupId: rest.slice(start, end) }
  }
  if (kind === 'j') {
    let v: unknown
    try {
      v = JSON.parse(rest)
    } catch {
      return null
    }
    if (!Array.isArray(v) || v.length !== 2 ||
      (v[0] !== null && typeof v[0] !== 'string') || typeof v[1] !== 'string') return null
    return { email: v[1], groupId: v[0] }
  }
  return null
}

/**
 * The session, rebuilt from its id's parts and the stored value; null for anything this service did not
 * write.
 */
export function decodeRecord (text: string, parts: SessionIdParts): StoredSession | null {
  const tag = text.slice(0, ORIGIN_TAG_LENGTH)
  if (!TAG.test(tag)) return null
  const kind = text.charAt(ORIGIN_TAG_LENGTH)
  let at = ORIGIN_TAG_LENGTH + 1
  let agent = NO_AGENT
  let lastSeenMinute: number | null = null
  const encoding = ENCODING[kind]
  if (encoding === undefined) return null
  if (isCurrent(kind)) {
    const browser = text.charAt(at + IAT_DIGITS)
    const os = text.charAt(at + IAT_DIGITS + 1)
    const minute = text.slice(MINUTE_AT, MINUTE_AT + MINUTE_DIGITS)
    const valid = IAT.test(text.slice(at, at + IAT_DIGITS)) &&
      AGENT_CODE.test(browser) && AGENT_CODE.test(os) && MINUTE.test(minute)
    if (!valid) return null
    agent = { browser, os }
    lastSeenMinute = parseInt(minute, 36)
    at = MINUTE_AT + MINUTE_DIGITS
  }
  const customer = decodeCustomer(encoding, text.slice(at))
  if (customer === null) return null
  return {
    customer: {
      id: parts.customerId,
      email: customer.email,
      groupId: customer.groupId,
      storeHash: parts.storeHash
    },
    originTag: tag,
    absoluteAt: parts.absoluteAt,
    agent,
    lastSeenMinute
  }
}

/**
 * Whether a value was written before the index was scored by creation time: its score is the token's iat
 * in seconds.
 */
export const scoredByIat = (text: string): boolean => /^[a-z]$/.test(text.charAt(ORIGIN_TAG_LENGTH))
