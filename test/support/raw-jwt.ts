// Hand-built JWTs for bad-input tests: any header, any payload (even not JSON), any algorithm.
import { createHmac, generateKeyPairSync, sign } from 'node:crypto'
import { CLIENT_ID, CLIENT_SECRET, STORE } from './app.js'

const b64 = (v: string | object): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

export function validClaims (over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
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

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

/** Signs `header.payload` as given; `alg` picks the real algorithm used (header may lie). BigCommerce's form by default. */
export function rawJwt (payload: string | object, { header = { typ: 'JWT', alg: 'HS512' } as string | object, alg = 'HS512', secret = CLIENT_SECRET } = {}): string {
  const input = `${b64(header)}.${b64(payload)}`
  let signature: string
  if (alg === 'none') signature = ''
  else if (alg === 'RS256') signature = sign('sha256', Buffer.from(input), privateKey).toString('base64url')
  else signature = createHmac(alg === 'HS384' ? 'sha384' : alg === 'HS512' ? 'sha512' : 'sha256', secret).update(input).digest('base64url')
  return `${input}.${signature}`
}

/** A textual variant of the same token: flips spare bits of the signature's last character. */
export function spareBitVariant (jwt: string): string {
  const [h, p, s] = jwt.split('.') as [string, string, string]
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(s[s.length - 1] as string)
  // The last char's lowest bit is spare in both forms: 32 bytes = 43 chars (2 spare bits), 64 bytes = 86 chars (4).
  const variant = alphabet[(last & ~0b11) | ((last & 0b11) ^ 0b01)] as string
  const out = `${h}.${p}.${s.slice(0, -1)}${variant}`
  if (Buffer.from(out.split('.')[2] as string, 'base64url').equals(Buffer.from(s, 'base64url')) === false) throw new Error('variant changed the bytes')
  return out
}
