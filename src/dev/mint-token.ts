// Mints Current Customer JWTs the way BigCommerce does, for the demo, the token CLI and tests.
import { SignJWT } from 'jose'

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
}

export async function mintCustomerToken (o: MintOptions): Promise<string> {
  const iat = o.iat ?? Math.floor(Date.now() / 1000)
  return await new SignJWT({
    customer: { id: o.customerId, email: o.email ?? `customer${o.customerId}@example.com`, group_id: o.groupId === undefined ? '0' : o.groupId },
    version: 1,
    application_id: 'demo-app',
    store_hash: o.storeHash,
    operation: 'current_customer'
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('bc/apps')
    .setSubject(o.storeHash)
    .setAudience(o.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.ttl ?? 900))
    .setJti(crypto.randomUUID())
    .sign(new TextEncoder().encode(o.secret))
}
