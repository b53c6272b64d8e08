// Strict verification of a BigCommerce Current Customer JWT (SPEC.md, "POST /session", step 4).
import { createHash } from 'node:crypto'
import { jwtVerify, errors as joseErrors, type JWTPayload } from 'jose'
import {
  BCX_TOKEN_CLAIMS, BCX_TOKEN_EXPIRED, BCX_TOKEN_INVALID, BCX_STORE_NOT_ALLOWED
} from '../errors.js'

/** BigCommerce's tokens live 15 minutes; an older `iat` is refused whatever `exp` says. */
export const MAX_TOKEN_AGE_SECONDS = 900
const MAX_TOKEN_LENGTH = 4096
// Three base64url segments, no padding, no whitespace: jose itself tolerates more.
const COMPACT_JWS = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}$/
const STORE_HASH = /^[A-Za-z0-9]{1,64}$/

export interface VerifiedCustomerToken {
  customer: { id: number, email: string, group_id: string | null }
  storeHash: string
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
  storeHashes: ReadonlySet<string> | null
  clockTolerance: number
  now?: () => number
}

export type TokenVerifier = (token: string) => Promise<VerifiedCustomerToken>

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// A base64url segment whose length is 1 modulo 4 cannot be decoded by any encoder.
const decodable = (segment: string): boolean => segment.length % 4 !== 1

function fingerprint (token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  return createHash('sha256')
    .update(header).update('.').update(payload).update('.')
    .update(Buffer.from(signature, 'base64url'))
    .digest('base64url')
}

function mapJoseError (err: unknown): Error {
  if (err instanceof joseErrors.JWTExpired) return new BCX_TOKEN_EXPIRED(err.claim === 'iat' ? 'iat is too old' : 'exp has passed')
  if (err instanceof joseErrors.JWTClaimValidationFailed) return new BCX_TOKEN_CLAIMS(`${err.claim} (${err.reason})`)
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new BCX_TOKEN_INVALID('alg must be HS256')
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new BCX_TOKEN_INVALID('bad signature')
  return new BCX_TOKEN_INVALID('malformed token')
}

function checkCustomerClaims (payload: JWTPayload, clientId: string, storeHashes: ReadonlySet<string> | null): Omit<VerifiedCustomerToken, 'fingerprint'> {
  // jose accepts an array that contains the audience; BigCommerce's aud is the client id alone.
  if (payload.aud !== clientId) throw new BCX_TOKEN_CLAIMS('aud must be the client id')
  if (payload.operation !== 'current_customer') throw new BCX_TOKEN_CLAIMS('operation must be current_customer')
  const storeHash = payload.store_hash
  if (typeof storeHash !== 'string' || !STORE_HASH.test(storeHash)) throw new BCX_TOKEN_CLAIMS('store_hash')
  if (payload.sub !== storeHash) throw new BCX_TOKEN_CLAIMS('sub must equal store_hash')
  const customer = payload.customer
  if (!isRecord(customer)) throw new BCX_TOKEN_CLAIMS('customer')
  const { id, email } = customer
  const groupId = customer.group_id ?? null
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new BCX_TOKEN_CLAIMS('customer.id must be a positive integer')
  if (typeof email !== 'string') throw new BCX_TOKEN_CLAIMS('customer.email must be a string')
  if (groupId !== null && typeof groupId !== 'string') throw new BCX_TOKEN_CLAIMS('customer.group_id must be a string')
  if (storeHashes !== null && !storeHashes.has(storeHash)) throw new BCX_STORE_NOT_ALLOWED()
  // Only these fields leave this function: extra claims (__proto__, isAdmin, ...) are dropped here.
  return {
    customer: { id, email, group_id: groupId },
    storeHash,
    iat: payload.iat as number,
    exp: payload.exp as number
  }
}

/** Builds the verifier once: keys are imported at start-up, not per request. */
export function createTokenVerifier (opts: TokenVerifierOptions): TokenVerifier {
  // CryptoKeys, imported once: given raw bytes, jose imports a key again on every verification.
  const keys = opts.clientSecrets.map(async (s) =>
    await crypto.subtle.importKey('raw', new TextEncoder().encode(s), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']))
  const now = opts.now ?? (() => Date.now())
  const verifyOptions = {
    algorithms: ['HS256'],
    issuer: 'bc/apps',
    audience: opts.clientId,
    requiredClaims: ['exp', 'iat', 'sub', 'store_hash', 'operation', 'customer'],
    maxTokenAge: MAX_TOKEN_AGE_SECONDS,
    clockTolerance: opts.clockTolerance
  }

  async function verifyWithAnyKey (token: string): Promise<JWTPayload> {
    let last: unknown
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(token, await key, { ...verifyOptions, currentDate: new Date(now()) })
        return payload
      } catch (err) {
        // Only a signature failure can depend on the key; every other failure is final.
        if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) throw mapJoseError(err)
        last = err
      }
    }
    throw mapJoseError(last)
  }

  return async function verifyCustomerToken (token) {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token) || !token.split('.').every(decodable)) {
      throw new BCX_TOKEN_INVALID('not a compact JWS')
    }
    const payload = await verifyWithAnyKey(token)
    // jose checks iat against maxTokenAge; a future iat is checked here so it never depends on the jose version.
    if (typeof payload.iat !== 'number' || payload.iat > now() / 1000 + opts.clockTolerance) {
      throw new BCX_TOKEN_CLAIMS('iat is in the future')
    }
    return { ...checkCustomerClaims(payload, opts.clientId, opts.storeHashes), fingerprint: fingerprint(token) }
  }
}
