// BigCommerce's failures as our coded errors: 502 refused, 503 throttled (with the Retry-After we answer),
// 504 timed out. The BigCommerce status stays on the error for callers that accept some (a 404 on a delete).
import type { FastifyError } from 'fastify'
import { BCX_BIGCOMMERCE_REFUSED, BCX_BIGCOMMERCE_TIMEOUT, retryLater, type RetryableError } from '../errors.js'

export interface RefusedError extends FastifyError {
  /** What BigCommerce answered; null when it could not be reached or its answer made no sense. */
  bigcommerceStatus: number | null
}

export const throttled = (retryAfterMs: number): RetryableError => retryLater('BCX_BIGCOMMERCE_THROTTLED', retryAfterMs)

/**
 * `cause` is for the log (never a token); `detail`, when given, is told to the client, for a reason the
 * caller can act on ("this store has no API access").
 */
export function refused (
  cause: string | Error,
  bigcommerceStatus: number | null = null,
  detail?: string
): RefusedError {
  const err = new BCX_BIGCOMMERCE_REFUSED({ cause: typeof cause === 'string' ? new Error(cause) : cause })
  if (detail !== undefined) err.message = `${err.message}: ${detail}`
  return Object.assign(err, { bigcommerceStatus })
}

/** The status BigCommerce answered, when `err` is its refusal. */
export function bigcommerceStatus (err: unknown): number | null {
  const isRefusal = err instanceof Error && typeof (err as Partial<RefusedError>).bigcommerceStatus === 'number'
  return isRefusal ? (err as RefusedError).bigcommerceStatus : null
}

const isTimeout = (err: unknown): boolean =>
  err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')

/** A call that threw: no answer in time (504), or none at all (502). */
export function unreachable (err: unknown): FastifyError {
  if (isTimeout(err)) return new BCX_BIGCOMMERCE_TIMEOUT({ cause: err })
  return refused(err instanceof Error ? err : String(err))
}
