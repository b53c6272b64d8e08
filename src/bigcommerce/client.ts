// A small client for the BigCommerce REST API with the store's credentials: every call is bounded by a
// timeout, and every failure leaves as one of our codes (SPEC.md, "Errors").
import { BCX_BIGCOMMERCE_REFUSED, BCX_BIGCOMMERCE_THROTTLED, BCX_BIGCOMMERCE_TIMEOUT } from '../errors.js'

/** Longest wait for one BigCommerce answer (headers and body) before a 504. */
export const BIGCOMMERCE_TIMEOUT_MS = 5000

export interface BigCommerceClientOptions {
  storeHash: string
  accessToken: string
  /** https://api.bigcommerce.com, or a stand-in in tests. */
  apiUrl: string
  timeoutMs?: number
}

export interface BigCommerceClient {
  /** GET a path under /stores/{store_hash}; null for 204 No Content (a v2 list with no entries). */
  get (path: string, query?: Record<string, string | number>): Promise<unknown>
}

/** BigCommerce says when its quota refills in X-Rate-Limit-Time-Reset-Ms; a bare 429 may carry neither. */
export function retryAfterSeconds (headers: Headers): number {
  const resetMs = Number(headers.get('x-rate-limit-time-reset-ms'))
  const retryAfter = Number(headers.get('retry-after'))
  const seconds = resetMs > 0 ? Math.ceil(resetMs / 1000) : Number.isInteger(retryAfter) && retryAfter > 0 ? retryAfter : 1
  return Math.min(seconds, 3600)
}

const isTimeout = (err: unknown): boolean => err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')

function failure (err: unknown): Error {
  return isTimeout(err) ? new BCX_BIGCOMMERCE_TIMEOUT({ cause: err }) : new BCX_BIGCOMMERCE_REFUSED({ cause: err })
}

export function createBigCommerceClient ({ storeHash, accessToken, apiUrl, timeoutMs = BIGCOMMERCE_TIMEOUT_MS }: BigCommerceClientOptions): BigCommerceClient {
  const base = `${apiUrl.replace(/\/+$/, '')}/stores/${encodeURIComponent(storeHash)}`

  return {
    async get (path, query = {}) {
      const url = new URL(base + path)
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value))
      const signal = AbortSignal.timeout(timeoutMs)
      let res: Response
      try {
        // No redirects: the access token goes to the configured API and nowhere else.
        res = await fetch(url, { headers: { 'X-Auth-Token': accessToken, Accept: 'application/json' }, signal, redirect: 'error' })
      } catch (err) {
        throw failure(err)
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => {})
        if (res.status === 429) throw Object.assign(new BCX_BIGCOMMERCE_THROTTLED(), { retryAfter: retryAfterSeconds(res.headers) })
        throw new BCX_BIGCOMMERCE_REFUSED({ cause: new Error(`BigCommerce answered ${res.status} to GET ${url.pathname}`) })
      }
      if (res.status === 204) return null
      try {
        return await res.json()
      } catch (err) {
        throw failure(err)
      }
    }
  }
}
