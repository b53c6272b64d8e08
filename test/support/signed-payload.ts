// Signed payloads as BigCommerce sends them to the load, uninstall and remove-user callbacks (HS256 with
// the client secret), and hand-built bad ones.
import { createHmac, randomUUID } from 'node:crypto'
import { CLIENT_ID, CLIENT_SECRET } from './app.js'

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')

export function payloadClaims (storeHash: string, over: Record<string, unknown> = {},
  now = Date.now()): Record<string, unknown> {
  const s = Math.floor(now / 1000)
  return {
    aud: CLIENT_ID,
    iss: 'bc',
    iat: s,
    nbf: s - 5,
    exp: s + 86400,
    jti: randomUUID(),
    sub: `stores/${storeHash}`,
    user: { id: 9128, email: 'owner@example.com', locale: 'en-US' },
    owner: { id: 9128, email: 'owner@example.com' },
    url: '/',
    channel_id: null,
    ...over
  }
}

/** `alg` is what the header says; HS384/HS512 are signed with that hash, 'none' with nothing. */
export function signedPayloadJwt (claims: Record<string, unknown>,
  { alg = 'HS256', secret = CLIENT_SECRET }: { alg?: string, secret?: string } = {}): string {
  const input = `${b64({ typ: 'JWT', alg })}.${b64(claims)}`
  if (alg === 'none') return `${input}.`
  const hash = alg === 'HS512' ? 'sha512' : alg === 'HS384' ? 'sha384' : 'sha256'
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

export const signedPayload =
  (storeHash: string, over: Record<string, unknown> = {}, opts: { alg?: string, secret?: string } = {}): string =>
    signedPayloadJwt(payloadClaims(storeHash, over), opts)
