// The `signed_payload_jwt` BigCommerce passes to the load, uninstall and remove-user callbacks: HS256 with
// the app's client secret, claims checked strictly, and each `jti` accepted once.
// @see https://developer.bigcommerce.com/docs/integrations/apps/guide/callbacks
import { createSecretKey, type KeyObject } from 'node:crypto'
import { jwtVerify, errors as joseErrors, type JWTPayload } from 'jose'
import { BCX_SIGNED_PAYLOAD_INVALID, BCX_STORE_UNAVAILABLE } from '../errors.js'
import type { RedisClient } from '../store/redis-store.js'
import { storeHashOfContext } from '../lib/store-hash.js'

const MAX_PAYLOAD_LENGTH = 8192
const COMPACT_JWS = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}$/
// Printable ASCII without spaces: the jti becomes part of a Redis key.
const JTI = /^[\x21-\x7e]{1,255}$/
/** Every claim BigCommerce puts in a signed payload; a payload without one of them is refused. */
export const REQUIRED_CLAIMS = ['aud', 'iss', 'sub', 'iat', 'nbf', 'exp', 'jti'] as const

export interface StoreUser { id: number, email: string }

export interface SignedPayload {
  storeHash: string
  /** The store user who opened the app (load), left it (remove-user) or uninstalled it. */
  user: StoreUser | null
  owner: StoreUser | null
  jti: string
  exp: number
}

/** Remembers used `jti`s until their payload can no longer verify anyway. */
export interface JtiGuard {
  /** True the first time a jti of that store is presented; false ever after, until `ttlMs` passes. */
  claim (storeHash: string, jti: string, ttlMs: number): Promise<boolean>
}

export const jtiKey = (storeHash: string, jti: string): string => `bcx:{app:${storeHash}}:jti:${jti}`

export function createRedisJtiGuard (redis: RedisClient): JtiGuard {
  return {
    async claim (storeHash, jti, ttlMs) {
      try {
        return await redis.set(jtiKey(storeHash, jti), '1', 'PX', ttlMs, 'NX') === 'OK'
      } catch (err) {
        throw new BCX_STORE_UNAVAILABLE({ cause: err })
      }
    }
  }
}

/** For the in-process store (development): one process, nothing kept. */
export function createMemoryJtiGuard (now: () => number = Date.now): JtiGuard {
  const used = new Map<string, number>()
  return {
    async claim (storeHash, jti, ttlMs) {
      const t = now()
      for (const [key, until] of used) if (until <= t) used.delete(key)
      const key = jtiKey(storeHash, jti)
      if (used.has(key)) return false
      used.set(key, t + ttlMs)
      return true
    }
  }
}

export interface SignedPayloadVerifierOptions {
  clientId: string
  /** Current first, then previous ones during rotation. */
  clientSecrets: readonly string[]
  clockTolerance: number
  jtiGuard: JtiGuard
  now?: () => number
}

/**
 * `accept` runs once the payload verifies and before its jti is kept: a refusal there (a store not
 * installed) leaves the jti unused, so a refused callback changes nothing.
 */
export type SignedPayloadVerifier = (
  token: unknown,
  accept?: (storeHash: string) => void | Promise<void>
) => Promise<SignedPayload>

function storeUser (value: unknown): StoreUser | null {
  if (typeof value !== 'object' || value === null) return null
  const { id, email } = value as Record<string, unknown>
  return typeof id === 'number' && Number.isSafeInteger(id) && typeof email === 'string' ? { id, email } : null
}

function reason (err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'exp has passed'
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `${err.claim} (${err.reason})`
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'alg must be HS256'
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature'
  return 'malformed payload'
}

export function createSignedPayloadVerifier (opts: SignedPayloadVerifierOptions): SignedPayloadVerifier {
  const now = opts.now ?? Date.now
  const keys: KeyObject[] = opts.clientSecrets.map((s) => createSecretKey(Buffer.from(s, 'utf8')))

  /** The claims of the first key whose signature verifies; the algorithm is pinned, never read from the token. */
  async function verified (token: string): Promise<JWTPayload> {
    let failure: unknown
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: 'bc',
          audience: opts.clientId,
          requiredClaims: [...REQUIRED_CLAIMS],
          clockTolerance: opts.clockTolerance,
          currentDate: new Date(now())
        })
        return payload
      } catch (err) {
        // A claim failure means the signature verified: no other key will do better.
        if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) throw err
        failure = err
      }
    }
    throw failure
  }

  return async function verifySignedPayload (token, accept) {
    if (typeof token !== 'string' || token.length > MAX_PAYLOAD_LENGTH || !COMPACT_JWS.test(token)) {
      throw new BCX_SIGNED_PAYLOAD_INVALID('not a compact JWS')
    }
    let payload: JWTPayload
    try {
      payload = await verified(token)
    } catch (err) {
      throw new BCX_SIGNED_PAYLOAD_INVALID(reason(err), { cause: err })
    }
    // jose accepts an array containing the audience; BigCommerce's aud is the client id alone.
    if (payload.aud !== opts.clientId) throw new BCX_SIGNED_PAYLOAD_INVALID('aud must be the client id')
    const storeHash = typeof payload.sub === 'string' ? storeHashOfContext(payload.sub) : null
    if (storeHash === null) throw new BCX_SIGNED_PAYLOAD_INVALID('sub must be stores/{store_hash}')
    const nowSeconds = now() / 1000
    if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + opts.clockTolerance) {
      throw new BCX_SIGNED_PAYLOAD_INVALID('iat is in the future')
    }
    const { jti, exp } = payload
    if (typeof jti !== 'string' || !JTI.test(jti)) throw new BCX_SIGNED_PAYLOAD_INVALID('jti')
    await accept?.(storeHash)
    // Kept until the payload's own exp (with the tolerance) has passed: after that it no longer verifies.
    const ttlMs = Math.max(1000, Math.ceil(((exp as number) + opts.clockTolerance - nowSeconds) * 1000))
    if (!await opts.jtiGuard.claim(storeHash, jti, ttlMs)) throw new BCX_SIGNED_PAYLOAD_INVALID('jti was used before')
    return { storeHash, user: storeUser(payload.user), owner: storeUser(payload.owner), jti, exp: exp as number }
  }
}
