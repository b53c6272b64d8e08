// Strict verification of a BigCommerce Current Customer JWT: what POST /session checks of the token (README).
import { createHmac, createSecretKey, hash, timingSafeEqual } from 'node:crypto'
import {
  decodeProtectedHeader,
  UnsecuredJWT,
  errors as joseErrors,
  type JWTPayload,
  type ProtectedHeaderParameters
} from 'jose'
import {
  BCX_TOKEN_CLAIMS, BCX_TOKEN_EXPIRED, BCX_TOKEN_INVALID, BCX_STORE_NOT_ALLOWED
} from '../errors.js'
import type { Customer } from '../customer.js'
import { isRecord } from '../lib/is-record.js'
import { isStoreHash } from '../lib/store-hash.js'

/** BigCommerce's tokens live 15 minutes; an older `iat` is refused whatever `exp` says. */
export const MAX_TOKEN_AGE_SECONDS = 900
const MAX_TOKEN_LENGTH = 4096
// Three base64url segments, no padding, no whitespace: jose itself tolerates more.
const COMPACT_JWS = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}$/

export interface VerifiedCustomerToken {
  customer: Customer
  /** Seconds since the epoch, BigCommerce's clock. */
  iat: number
  exp: number
  /** sha256 of header, payload and the decoded signature bytes: equal for textual variants of one token. */
  fingerprint: string
}

export interface TokenVerifierOptions {
  clientId: string
  /** Current first, then previous ones during rotation. */
  clientSecrets: readonly string[]
  /**
   * The stores served: a fixed set (null: any store, development only), or a check that may change its
   * answer (app mode's installs).
   */
  storeHashes: ReadonlySet<string> | null | StoreServed
  clockTolerance: number
  now?: () => number
}

export type StoreServed = (storeHash: string) => boolean

function storeCheck (storeHashes: TokenVerifierOptions['storeHashes']): StoreServed {
  if (typeof storeHashes === 'function') return storeHashes
  if (storeHashes === null) return () => true
  return (storeHash) => storeHashes.has(storeHash)
}

export type TokenVerifier = (token: string) => Promise<VerifiedCustomerToken>

// A base64url segment whose length is 1 modulo 4 cannot be decoded by any encoder.
const decodable = (segment: string): boolean => segment.length % 4 !== 1

/** Three base64url segments that decode, within the length limit: what reaches the verifier proper. */
export const isCompactJws = (token: string): boolean =>
  token.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(token) && token.split('.').every(decodable)

function mapJoseError (err: unknown): Error {
  if (err instanceof joseErrors.JWTExpired) {
    return new BCX_TOKEN_EXPIRED(err.claim === 'iat' ? 'iat is too old' : 'exp has passed')
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) return new BCX_TOKEN_CLAIMS(`${err.claim} (${err.reason})`)
  return new BCX_TOKEN_INVALID('malformed token')
}

function checkCustomerClaims (
  payload: JWTPayload,
  clientId: string,
  storeServed: StoreServed
): Omit<VerifiedCustomerToken, 'fingerprint'> {
  // jose accepts an array that contains the audience; BigCommerce's aud is the client id alone.
  if (payload.aud !== clientId) throw new BCX_TOKEN_CLAIMS('aud must be the client id')
  if (payload.operation !== 'current_customer') throw new BCX_TOKEN_CLAIMS('operation must be current_customer')
  const storeHash = payload.store_hash
  if (typeof storeHash !== 'string' || !isStoreHash(storeHash)) throw new BCX_TOKEN_CLAIMS('store_hash')
  if (payload.sub !== storeHash) throw new BCX_TOKEN_CLAIMS('sub must equal store_hash')
  const customer = payload.customer
  if (!isRecord(customer)) throw new BCX_TOKEN_CLAIMS('customer')
  const { id, email } = customer
  const groupId = customer.group_id ?? null
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new BCX_TOKEN_CLAIMS('customer.id must be a positive integer')
  }
  if (typeof email !== 'string') throw new BCX_TOKEN_CLAIMS('customer.email must be a string')
  if (groupId !== null && typeof groupId !== 'string') throw new BCX_TOKEN_CLAIMS('customer.group_id must be a string')
  if (!storeServed(storeHash)) throw new BCX_STORE_NOT_ALLOWED()
  // Only these fields leave this function: extra claims (__proto__, isAdmin, ...) are dropped here.
  return {
    customer: { id, email, groupId, storeHash },
    iat: payload.iat as number,
    exp: payload.exp as number
  }
}

export interface PayloadVerifierOptions {
  clientId: string
  clientSecrets: readonly string[]
  clockTolerance: number
  now: () => number
}

// What UnsecuredJWT.decode reads in place of the token's own header, once that header and the MAC are checked.
const CHECKED_HEADER = Buffer.from('{"alg":"none"}').toString('base64url')

/**
 * The accepted algorithms and their hashes, pinned here and never read from configuration or the
 * token: BigCommerce signs Current Customer tokens with HS512; its documentation's example is HS256.
 * Every other alg (none, HS384, RS*, ES*, PS*, ...) is refused before any MAC is computed.
 */
export const ACCEPTED_ALGORITHMS = { HS512: 'sha512', HS256: 'sha256' } as const
export type AcceptedAlgorithm = keyof typeof ACCEPTED_ALGORITHMS

const hashOf = (alg: unknown): string | undefined =>
  alg === 'HS512' || alg === 'HS256' ? ACCEPTED_ALGORITHMS[alg] : undefined

/**
 * The signature and the registered claims: the MAC here, with node:crypto, and everything else with
 * jose. jose checks an HMAC through WebCrypto, an asynchronous job on libuv's thread pool that cost
 * more than the whole rest of an exchange (README, design notes); createHmac does it in place.
 * jose still parses the header, and checks iss, aud, exp, iat (age), nbf and the required claims.
 */
export function createPayloadVerifier (
  opts: PayloadVerifierOptions
): (token: string) => { payload: JWTPayload, fingerprint: string } {
  const keys = opts.clientSecrets.map((s) => createSecretKey(Buffer.from(s, 'utf8')))
  const claimOptions = {
    issuer: 'bc/apps',
    audience: opts.clientId,
    requiredClaims: ['exp', 'iat', 'sub', 'store_hash', 'operation', 'customer'],
    maxTokenAge: MAX_TOKEN_AGE_SECONDS,
    clockTolerance: opts.clockTolerance
  }
  return function verifyPayload (token) {
    const [header, payload, signature] = token.split('.') as [string, string, string]
    let protectedHeader: ProtectedHeaderParameters
    try {
      protectedHeader = decodeProtectedHeader(token)
    } catch (err) {
      throw mapJoseError(err)
    }
    const digest = hashOf(protectedHeader.alg)
    if (digest === undefined) throw new BCX_TOKEN_INVALID('alg must be HS512 or HS256')
    // BigCommerce sends {"typ":"JWT","alg":"HS512"}: no extension (crit, b64) is understood here.
    const extended = protectedHeader.crit !== undefined || protectedHeader.b64 !== undefined
    if (extended) throw new BCX_TOKEN_INVALID('malformed token')
    const mac = Buffer.from(signature, 'base64url')
    const input = `${header}.${payload}`
    // The header's alg picks the hash, so a MAC of one algorithm under the other's header has the
    // wrong length or the wrong bytes and is refused here.
    if (!keys.some((key) => {
      const expected = createHmac(digest, key).update(input).digest()
      return expected.length === mac.length && timingSafeEqual(expected, mac)
    })) throw new BCX_TOKEN_INVALID('bad signature')
    try {
      const checkedToken = `${CHECKED_HEADER}.${payload}.`
      const claims = UnsecuredJWT.decode(checkedToken, { ...claimOptions, currentDate: new Date(opts.now()) }).payload
      // Header, payload and the MAC's bytes: textual variants of one token share it, and an HS256 and
      // an HS512 token with the same claims differ (their headers do). The bytes are those hashed
      // before HS512 was accepted, so guard keys stay valid across an upgrade.
      const fingerprint = hash('sha256', Buffer.concat([Buffer.from(`${input}.`), mac]), 'base64url')
      return { payload: claims, fingerprint }
    } catch (err) {
      throw mapJoseError(err)
    }
  }
}

/** Builds the verifier once: keys are made at start-up, not per request. */
export function createTokenVerifier (opts: TokenVerifierOptions): TokenVerifier {
  const now = opts.now ?? (() => Date.now())
  const verifyPayload = createPayloadVerifier({ ...opts, now })
  const storeServed = storeCheck(opts.storeHashes)

  return async function verifyCustomerToken (token) {
    if (!isCompactJws(token)) throw new BCX_TOKEN_INVALID('not a compact JWS')
    const { payload, fingerprint } = verifyPayload(token)
    // jose checks iat against maxTokenAge; a future iat is checked here so it never depends on the jose version.
    if (typeof payload.iat !== 'number' || payload.iat > now() / 1000 + opts.clockTolerance) {
      throw new BCX_TOKEN_CLAIMS('iat is in the future')
    }
    return { ...checkCustomerClaims(payload, opts.clientId, storeServed), fingerprint }
  }
}
