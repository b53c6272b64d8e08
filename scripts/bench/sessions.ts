// Tokens and sessions for the benchmark: minted with the dev minter, exchanged over real HTTP.
import { mintCustomerToken } from '../../src/dev/mint-token.js'
import type { AcceptedAlgorithm } from '../../src/token/verify-token.js'

export const BENCH = {
  clientId: 'bench-client-id',
  clientSecret: 'bench-client-secret-0123456789abcdef',
  sessionSecret: 'bench-session-secret-0123456789abcdef0123',
  store: 'abc123',
  origin: 'https://store-abc123.mybigcommerce.com',
  cookieName: '__Host-bc_session'
} as const

/** The service's environment for a benchmark run: production rules, no rate limits, warnings only. */
export function benchEnv (redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    BC_CLIENT_ID: BENCH.clientId,
    BC_CLIENT_SECRET: BENCH.clientSecret,
    BC_STORE_HASHES: BENCH.store,
    ALLOWED_ORIGINS: 'https://*.mybigcommerce.com',
    SESSION_SECRET: BENCH.sessionSecret,
    REDIS_URL: redisUrl,
    RATE_LIMIT_EXCHANGE: '0',
    LOG_LEVEL: 'warn',
    ...extra
  }
}

/**
 * `count` distinct tokens for customers firstCustomerId, firstCustomerId + 1, ..., HS512 as BigCommerce
 * signs them unless `alg` says HS256.
 */
export async function mintTokens (
  count: number,
  firstCustomerId: number,
  alg: AcceptedAlgorithm = 'HS512'
): Promise<string[]> {
  const tokens: string[] = []
  for (let start = 0; start < count; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - start) }, (_, i) => mintCustomerToken({
      secret: BENCH.clientSecret,
      clientId: BENCH.clientId,
      storeHash: BENCH.store,
      customerId: firstCustomerId + start + i,
      alg
    }))
    tokens.push(...await Promise.all(batch))
  }
  return tokens
}

export const exchangeHeaders = { origin: BENCH.origin, 'x-csrf': '1', 'content-type': 'application/json' }

/** Exchanges each token (a few at a time); returns the `name=value` cookie of each session. */
export async function exchangeAll (url: string, tokens: readonly string[], parallel = 16): Promise<string[]> {
  const cookies: string[] = new Array(tokens.length)
  let next = 0
  async function worker (): Promise<void> {
    while (next < tokens.length) {
      const i = next++
      const body = JSON.stringify({ token: tokens[i] })
      const res = await fetch(`${url}/session`, { method: 'POST', headers: exchangeHeaders, body })
      await res.arrayBuffer()
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${BENCH.cookieName}=`))
      if (res.status !== 201 || cookie === undefined) throw new Error(`exchange answered ${res.status}`)
      cookies[i] = cookie.split(';', 1)[0] as string
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  return cookies
}
