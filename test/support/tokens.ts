// Current Customer tokens for tests: minted as BigCommerce issues them, or built by hand (any header,
// any payload text, any algorithm, a MAC of one algorithm under another's header) for bad-input tests.
import { createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { mintCustomerToken, type MintOptions } from '../../src/dev/mint-token.js'
import { CLIENT_ID, CLIENT_SECRET, STORE } from './app.js'

/** Seconds since the epoch: the unit of a token's iat and exp. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/**
 * A token in BigCommerce's real form (HS512 unless `alg` says HS256). Tests mint many tokens for one
 * customer within a second, which BigCommerce would issue as one token; a jti keeps them distinct.
 */
export async function token (o: Partial<MintOptions> = {}): Promise<string> {
  return await mintCustomerToken({
    secret: CLIENT_SECRET, clientId: CLIENT_ID, customerId: 4927, storeHash: STORE, jti: randomUUID(), ...o
  })
}

/** The claims of a valid token for this test's app, `over` laid on top (undefined removes a claim). */
export function validClaims (over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds()
  return {
    customer: { id: 4927, email: 'john.doe@gmail.com', group_id: '6' },
    iss: 'bc/apps',
    sub: STORE,
    iat: now,
    exp: now + 900,
    version: 1,
    aud: CLIENT_ID,
    application_id: CLIENT_ID,
    store_hash: STORE,
    operation: 'current_customer',
    ...over
  }
}

/** The claims of a valid token as raw JSON text, `extra` spliced in (so keys like "__proto__" survive). */
export function claimsJson ({ customerId = 4927, storeHash = STORE, extra = '', customerExtra = '' } = {}): string {
  const now = nowSeconds()
  return `{"customer":{"id":${customerId},"email":"c${customerId}@example.com","group_id":"6"${customerExtra}},` +
    `"iss":"bc/apps","sub":"${storeHash}","iat":${now},"exp":${now + 900},"version":1,"aud":"${CLIENT_ID}",` +
    `"application_id":"${CLIENT_ID}","store_hash":"${storeHash}","operation":"current_customer"${extra}}`
}

/** The header BigCommerce sends, byte for byte. */
export const HS512_HEADER = '{"typ":"JWT","alg":"HS512"}'
/** The header of BigCommerce's documentation example. */
export const HS256_HEADER = '{"alg":"HS256","typ":"JWT"}'

const b64 = (text: string): string => Buffer.from(text).toString('base64url')

const HASHES: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

/** The hash an HMAC alg in a raw JSON header names; sha256 for anything else (what a forger might try). */
function hashNamedBy (headerJson: string): string {
  try {
    const alg = (JSON.parse(headerJson) as { alg?: unknown } | null)?.alg
    return typeof alg === 'string' ? HASHES[alg] ?? 'sha256' : 'sha256'
  } catch {
    return 'sha256'
  }
}

/**
 * Signs header and payload given as raw JSON text, with the hash the header's alg names unless `hash`
 * says otherwise (a MAC of one algorithm under another's header).
 */
export function signRaw (headerJson: string, payloadJson: string, secret = CLIENT_SECRET,
  hash = hashNamedBy(headerJson)): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

export interface RawJwtOptions {
  /** The header as sent: an object, or text (which need not be JSON). */
  header?: string | object
  /** The algorithm really used, whatever the header says: HS256/384/512, RS256, or none (no signature). */
  alg?: string
  secret?: string
}

/** Signs `header.payload` as given; BigCommerce's form (HS512) by default. */
export function rawJwt (payload: string | object,
  { header = { typ: 'JWT', alg: 'HS512' }, alg = 'HS512', secret = CLIENT_SECRET }: RawJwtOptions = {}): string {
  const text = (v: string | object): string => typeof v === 'string' ? v : JSON.stringify(v)
  if (alg === 'none') return `${b64(text(header))}.${b64(text(payload))}.`
  if (alg !== 'RS256') return signRaw(text(header), text(payload), secret, HASHES[alg] ?? 'sha256')
  const input = `${b64(text(header))}.${b64(text(payload))}`
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Textual variants of one token that decode to the same bytes: the spare low bits of the signature's
 * last character (43 characters carry 256 bits, so 2 bits are spare; 86 carry 512, 4 spare).
 */
export function spareBitVariants (jwt: string): string[] {
  const [h, p, s] = jwt.split('.') as [string, string, string]
  const last = B64URL.indexOf(s.slice(-1))
  const spare = (s.length * 6) % 8
  const out: string[] = []
  for (let bits = 0; bits < 1 << spare; bits++) {
    const char = B64URL[(last & ~((1 << spare) - 1)) | bits] as string
    if (char !== s.slice(-1)) out.push(`${h}.${p}.${s.slice(0, -1)}${char}`)
  }
  return out
}

/** One textual variant of the token, checked to decode to the same signature bytes. */
export function spareBitVariant (jwt: string): string {
  const [variant] = spareBitVariants(jwt)
  const signature = (text: string): Buffer => Buffer.from(text.split('.')[2] ?? '', 'base64url')
  if (variant === undefined || !signature(variant).equals(signature(jwt))) throw new Error('no same-bytes variant')
  return variant
}
