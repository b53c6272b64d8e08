// What BigCommerce last said about each store's request quota (X-Rate-Limit-Requests-Left and
// X-Rate-Limit-Time-Reset-Ms), so that the next call waits for the refill instead of earning a 429.
// @see https://developer.bigcommerce.com/docs/start/best-practices/api-rate-limits

export type QuotaListener = (storeHash: string, requestsLeft: number) => void

interface Quota { left: number, resetAt: number }

const headerInt = (headers: Headers, name: string): number | null => {
  const value = headers.get(name)
  const n = value === null ? NaN : Number(value)
  return Number.isSafeInteger(n) && n >= 0 ? n : null
}

export class StoreQuotas {
  readonly #stores = new Map<string, Quota>()
  readonly #listener: QuotaListener | undefined

  constructor (listener?: QuotaListener) {
    this.#listener = listener
  }

  observe (storeHash: string, headers: Headers): void {
    const left = headerInt(headers, 'x-rate-limit-requests-left')
    if (left === null) return
    const resetMs = headerInt(headers, 'x-rate-limit-time-reset-ms') ?? 0
    this.#stores.set(storeHash, { left, resetAt: performance.now() + resetMs })
    this.#listener?.(storeHash, left)
  }

  /** How long the next call for this store should wait: 0 while quota is left or once the window has passed. */
  waitMs (storeHash: string): number {
    const quota = this.#stores.get(storeHash)
    if (quota === undefined || quota.left > 0) return 0
    const ms = quota.resetAt - performance.now()
    if (ms > 0) return Math.ceil(ms)
    this.#stores.delete(storeHash)
    return 0
  }
}

/** On a 429: Retry-After (seconds), else the window's reset, else a second. */
export function retryDelayMs (headers: Headers): number {
  const retryAfter = headerInt(headers, 'retry-after')
  if (retryAfter !== null) return retryAfter * 1000
  return headerInt(headers, 'x-rate-limit-time-reset-ms') ?? 1000
}
