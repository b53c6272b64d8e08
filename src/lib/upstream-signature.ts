// The identity sent to the upstream service and its HMAC (UPSTREAM_SIGNING_SECRET). The signature covers
// the identity, the method, the path and query, a hash of the body, a timestamp and the request id, so a
// captured header set cannot be replayed onto another request.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { Customer } from '../customer.js'

export const UPSTREAM_HEADERS = {
  customerId: 'x-customer-id',
  customerEmail: 'x-customer-email',
  customerGroupId: 'x-customer-group-id',
  storeHash: 'x-store-hash',
  timestamp: 'x-bcx-timestamp',
  requestId: 'x-request-id',
  signature: 'x-bcx-signature'
} as const

/** Headers a browser must never be able to set on a proxied request. */
export const isIdentityHeader = (name: string): boolean => {
  const n = name.toLowerCase()
  return n.startsWith('x-customer-') ||
    n.startsWith('x-bcx-') ||
    n === UPSTREAM_HEADERS.storeHash ||
    n === UPSTREAM_HEADERS.requestId
}

export interface SignedRequest {
  /** Upper case, as sent. */
  method: string
  /** The request target the upstream receives: path and query string, exactly. */
  pathAndQuery: string
  /** The body as sent; empty when there is none. */
  body: Buffer | string
}

export interface IdentityValues {
  customerId: string
  customerEmail: string
  /** '' when the customer has no group (the header is then absent). */
  customerGroupId: string
  storeHash: string
  /** Unix seconds. */
  timestamp: string
  requestId: string
}

export const sha256Hex = (body: Buffer | string): string => createHash('sha256').update(body).digest('hex')

/** One field per line; no field can hold a newline (header values and request targets cannot). */
export function canonicalString (request: SignedRequest, identity: IdentityValues): string {
  return [
    'bcx-v1',
    request.method,
    request.pathAndQuery,
    sha256Hex(request.body),
    identity.customerId,
    identity.customerEmail,
    identity.customerGroupId,
    identity.storeHash,
    identity.timestamp,
    identity.requestId
  ].join('\n')
}

export function signatureOf (secret: string, request: SignedRequest, identity: IdentityValues): string {
  return 'v1=' + createHmac('sha256', secret).update(canonicalString(request, identity)).digest('base64url')
}

const LONE_SURROGATES = /\p{Cs}/gu

/**
 * Header values are visible ASCII; anything else (a Unicode email) is percent-encoded, and signed as sent.
 * A lone surrogate (a claim can hold one: JSON escapes it, and the record codec keeps it) has no UTF-8 form,
 * so encodeURIComponent would throw on it: it is sent as U+FFFD, as String.prototype.toWellFormed does.
 */
export const headerSafe = (value: string): string =>
  /^[!-~]*$/.test(value) ? value : encodeURIComponent(value.replace(LONE_SURROGATES, '\uFFFD'))

/** The headers added to a proxied request. */
export function identityHeaders (
  secret: string,
  request: SignedRequest,
  customer: Customer,
  requestId: string,
  now = Date.now()
): Record<string, string> {
  const identity: IdentityValues = {
    customerId: String(customer.id),
    customerEmail: headerSafe(customer.email),
    customerGroupId: customer.groupId === null ? '' : headerSafe(customer.groupId),
    storeHash: customer.storeHash,
    timestamp: String(Math.floor(now / 1000)),
    requestId: headerSafe(requestId)
  }
  return {
    [UPSTREAM_HEADERS.customerId]: identity.customerId,
    [UPSTREAM_HEADERS.customerEmail]: identity.customerEmail,
    ...(identity.customerGroupId !== '' && { [UPSTREAM_HEADERS.customerGroupId]: identity.customerGroupId }),
    [UPSTREAM_HEADERS.storeHash]: identity.storeHash,
    [UPSTREAM_HEADERS.timestamp]: identity.timestamp,
    [UPSTREAM_HEADERS.requestId]: identity.requestId,
    [UPSTREAM_HEADERS.signature]: signatureOf(secret, request, identity)
  }
}

export type VerifiedUpstreamRequest =
  | { ok: true, customer: Customer, requestId: string }
  | { ok: false, reason: string }

/**
 * The upstream's check, for upstreams written in Node: recompute the HMAC over what arrived and compare in
 * constant time; refuse timestamps more than `toleranceSeconds` away. Remembering request ids for that
 * window (not done here) also refuses an exact replay of a whole request.
 */
export function verifyUpstreamRequest (
  secret: string,
  request: SignedRequest & { headers: Record<string, string | string[] | undefined> },
  { now = Date.now(), toleranceSeconds = 300 } = {}
): VerifiedUpstreamRequest {
  const get = (name: string): string | undefined => {
    const v = request.headers[name]
    return typeof v === 'string' ? v : undefined
  }
  const identity = {
    customerId: get(UPSTREAM_HEADERS.customerId),
    customerEmail: get(UPSTREAM_HEADERS.customerEmail),
    customerGroupId: get(UPSTREAM_HEADERS.customerGroupId) ?? '',
    storeHash: get(UPSTREAM_HEADERS.storeHash),
    timestamp: get(UPSTREAM_HEADERS.timestamp),
    requestId: get(UPSTREAM_HEADERS.requestId)
  }
  const signature = get(UPSTREAM_HEADERS.signature)
  const { customerId, customerEmail, storeHash, timestamp, requestId } = identity
  if (customerId === undefined || customerEmail === undefined || storeHash === undefined || timestamp === undefined ||
    requestId === undefined || signature === undefined) return { ok: false, reason: 'missing header' }
  const stale = !/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds
  if (stale) return { ok: false, reason: 'stale timestamp' }
  const { customerGroupId } = identity
  const signed = { customerId, customerEmail, customerGroupId, storeHash, timestamp, requestId }
  const expected = Buffer.from(signatureOf(secret, request, signed))
  const given = Buffer.from(signature)
  const matches = given.length === expected.length && timingSafeEqual(given, expected)
  if (!matches) return { ok: false, reason: 'bad signature' }
  return {
    ok: true,
    customer: {
      id: Number(customerId),
      email: customerEmail,
      groupId: customerGroupId === '' ? null : customerGroupId,
      storeHash
    },
    requestId
  }
}
