// The one way the service calls a store's BigCommerce API: every call is bounded by a timeout, follows no
// redirect (the access token goes to the configured API and nowhere else), honours the store's rate
// limit, and every failure leaves as one of our codes.
import { setTimeout as sleep } from 'node:timers/promises'
import { refused, throttled, unreachable } from './failures.js'
import { StoreQuotas, retryDelayMs } from './quotas.js'

/** Longest wait for one BigCommerce answer (headers and body) before a 504. */
export const BIGCOMMERCE_TIMEOUT_MS = 5000
/** Longest wait for a store's quota to refill (or a 429's Retry-After) before a 503 instead. */
export const BIGCOMMERCE_MAX_WAIT_MS = 5000

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'
export type Query = Record<string, string | number | boolean>

export interface BigCommerceClientOptions {
  storeHash: string
  accessToken: string
  /** https://api.bigcommerce.com, or a stand-in in tests. */
  apiUrl: string
  timeoutMs?: number
  maxWaitMs?: number
  /** Shared by every client of one app, so that one store's quota is one state whatever client calls. */
  quotas?: StoreQuotas
}

export interface RequestOptions { query?: Query, body?: unknown }

/**
 * Paths are under /stores/{store_hash}, with their API version: '/v3/sites', '/v2/orders'. Answers are
 * parsed JSON as BigCommerce sends it (callers check its shape), null for 204 No Content.
 */
export interface BigCommerceClient {
  readonly storeHash: string
  request (method: HttpMethod, path: string, opts?: RequestOptions): Promise<unknown>
  get (path: string, query?: Query): Promise<unknown>
  post (path: string, body: unknown, query?: Query): Promise<unknown>
  put (path: string, body: unknown, query?: Query): Promise<unknown>
  delete (path: string, query?: Query): Promise<unknown>
}

/** BigCommerce's error bodies say what was wrong ({"title": ...}); a little of it helps the log. */
async function reason (res: Response): Promise<string> {
  const text = await res.text().catch(() => '')
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

export function createBigCommerceClient (o: BigCommerceClientOptions): BigCommerceClient {
  const { storeHash, accessToken, timeoutMs = BIGCOMMERCE_TIMEOUT_MS, maxWaitMs = BIGCOMMERCE_MAX_WAIT_MS } = o
  const quotas = o.quotas ?? new StoreQuotas()
  const base = `${o.apiUrl.replace(/\/+$/, '')}/stores/${encodeURIComponent(storeHash)}`

  async function waitForQuota (): Promise<void> {
    const ms = quotas.waitMs(storeHash)
    if (ms > maxWaitMs) throw throttled(ms)
    if (ms > 0) await sleep(ms)
  }

  async function send (method: HttpMethod, url: URL, body: unknown): Promise<Response> {
    const signal = AbortSignal.timeout(timeoutMs)
    const headers: Record<string, string> = { 'X-Auth-Token': accessToken, Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    try {
      return await fetch(url, {
        method,
        headers,
        signal,
        redirect: 'manual',
        ...(body !== undefined && { body: JSON.stringify(body) })
      })
    } catch (err) {
      throw unreachable(err)
    }
  }

  async function request (
    method: HttpMethod,
    path: string,
    { query = {}, body }: RequestOptions = {}
  ): Promise<unknown> {
    if (!/^\/v[23]\//.test(path)) throw new TypeError(`a BigCommerce path starts with /v2/ or /v3/: ${path}`)
    const url = new URL(base + path)
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value))
    const what = `${method} ${url.pathname}`
    for (let attempt = 1; ; attempt++) {
      await waitForQuota()
      const res = await send(method, url, body)
      quotas.observe(storeHash, res.headers)
      if (res.status === 429) {
        await res.body?.cancel().catch(() => {})
        const delay = retryDelayMs(res.headers)
        if (attempt > 1 || delay > maxWaitMs) throw throttled(delay)
        await sleep(delay)
        continue
      }
      if (!res.ok) throw refused(`BigCommerce answered ${res.status} to ${what}: ${await reason(res)}`, res.status)
      if (res.status === 204) return null
      try {
        return await res.json()
      } catch (err) {
        const malformed = err instanceof SyntaxError
        throw unreachable(malformed ? new Error(`BigCommerce answered ${what} with malformed JSON`) : err)
      }
    }
  }

  return {
    storeHash,
    request,
    get: async (path, query) => await request('GET', path, { ...(query !== undefined && { query }) }),
    post: async (path, body, query) => await request('POST', path, { body, ...(query !== undefined && { query }) }),
    put: async (path, body, query) => await request('PUT', path, { body, ...(query !== undefined && { query }) }),
    delete: async (path, query) => await request('DELETE', path, { ...(query !== undefined && { query }) })
  }
}
