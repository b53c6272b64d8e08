// Mints Current Customer JWTs the way BigCommerce does, for the demo, the token CLI and tests.
import { SignJWT } from 'jose'
import type { AcceptedAlgorithm } from '../token/verify-token.js'

export interface MintOptions {
  secret: string
  clientId: string
  customerId: number
  storeHash: string
  email?: string
  groupId?: string | null
  /** Lifetime in seconds (BigCommerce: 900). */
  ttl?: number
  /** Issued-at, seconds since the epoch; defaults to now. */
  iat?: number
  /** HS512, what BigCommerce signs with (default); HS256, its documentation's example. */
  alg?: AcceptedAlgorithm
  /** Real tokens carry no jti; a test that mints many equal tokens in one second may add one. */
  jti?: string
}

/** The header, claims and claim order of a token as BigCommerce issues it (application_id is the client id). */
export async function mintCustomerToken (o: MintOptions): Promise<string> {
  const iat = o.iat ?? Math.floor(Date.now() / 1000)
  const alg = o.alg ?? 'HS512'
  return await new SignJWT({
    customer: {
      id: o.customerId,
      email: o.email ?? `customer${o.customerId}@example.com`,
      group_id: o.groupId === undefined ? '0' : o.groupId
    },
    iss: 'bc/apps',
    sub: o.storeHash,
    iat,
    exp: iat + (o.ttl ?? 900),
    version: 1,
    aud: o.clientId,
    application_id: o.clientId,
    store_hash: o.storeHash,
    operation: 'current_customer',
    ...(o.jti !== undefined && { jti: o.jti })
  })
    .setProtectedHeader({ typ: 'JWT', alg })
    .sign(new TextEncoder().encode(o.secret))
}
