// The one table of coded errors the service answers with (README, "Errors"). Each error is created
// once here; the code -> status table is read off them, never typed a second time.
import createError, { type FastifyError } from '@fastify/error'

const codes = {
  BCX_BAD_REQUEST: createError('BCX_BAD_REQUEST', 'Bad request: %s', 400),
  BCX_TOKEN_INVALID: createError('BCX_TOKEN_INVALID', 'The token is not a valid HS512 or HS256 JWS: %s', 401),
  BCX_TOKEN_EXPIRED: createError('BCX_TOKEN_EXPIRED', 'The token has expired: %s', 401),
  BCX_TOKEN_CLAIMS: createError('BCX_TOKEN_CLAIMS', 'The token has a missing or wrong claim: %s', 401),
  BCX_TOKEN_REVOKED: createError('BCX_TOKEN_REVOKED',
    'The token was issued before a revocation of its customer or store', 401),
  BCX_TOKEN_REPLAYED: createError('BCX_TOKEN_REPLAYED', 'The token was already exchanged', 409),
  BCX_STORE_NOT_ALLOWED: createError('BCX_STORE_NOT_ALLOWED', 'The store is not served by this service', 403),
  BCX_ORIGIN_REFUSED: createError('BCX_ORIGIN_REFUSED', 'Origin refused: %s', 403),
  BCX_CSRF_HEADER_MISSING: createError('BCX_CSRF_HEADER_MISSING',
    'Requests to /session and /api must carry the header X-CSRF: 1 from a CORS request', 403),
  BCX_UNAUTHENTICATED: createError('BCX_UNAUTHENTICATED', 'No valid session', 401),
  BCX_SESSION_NOT_FOUND: createError('BCX_SESSION_NOT_FOUND', 'No session of this customer has that handle', 404),
  BCX_SIGNED_PAYLOAD_INVALID: createError('BCX_SIGNED_PAYLOAD_INVALID',
    'The signed payload does not verify or was used before: %s', 401),
  BCX_ADMIN_UNAUTHORIZED: createError('BCX_ADMIN_UNAUTHORIZED', 'Missing or wrong credentials', 401),
  BCX_RATE_LIMITED: createError('BCX_RATE_LIMITED', 'Too many requests, retry in %s seconds', 429),
  BCX_STORE_UNAVAILABLE: createError('BCX_STORE_UNAVAILABLE', 'The session store did not answer in time', 503),
  BCX_BIGCOMMERCE_REFUSED: createError('BCX_BIGCOMMERCE_REFUSED', 'BigCommerce refused the request', 502),
  BCX_BIGCOMMERCE_THROTTLED: createError('BCX_BIGCOMMERCE_THROTTLED', 'BigCommerce is throttling requests', 503),
  BCX_BIGCOMMERCE_TIMEOUT: createError('BCX_BIGCOMMERCE_TIMEOUT', 'BigCommerce did not answer in time', 504),
  BCX_UPSTREAM_UNAVAILABLE: createError('BCX_UPSTREAM_UNAVAILABLE', 'The upstream service did not answer', 502),
  BCX_UPSTREAM_TIMEOUT: createError('BCX_UPSTREAM_TIMEOUT', 'The upstream service did not answer in time', 504),
  BCX_INTERNAL: createError('BCX_INTERNAL', 'Internal server error', 500)
}

export const {
  BCX_BAD_REQUEST, BCX_TOKEN_INVALID, BCX_TOKEN_EXPIRED, BCX_TOKEN_CLAIMS, BCX_TOKEN_REVOKED, BCX_TOKEN_REPLAYED,
  BCX_STORE_NOT_ALLOWED, BCX_ORIGIN_REFUSED, BCX_CSRF_HEADER_MISSING, BCX_UNAUTHENTICATED, BCX_SESSION_NOT_FOUND,
  BCX_SIGNED_PAYLOAD_INVALID, BCX_ADMIN_UNAUTHORIZED, BCX_RATE_LIMITED, BCX_STORE_UNAVAILABLE,
  BCX_BIGCOMMERCE_REFUSED, BCX_BIGCOMMERCE_THROTTLED, BCX_BIGCOMMERCE_TIMEOUT, BCX_UPSTREAM_UNAVAILABLE,
  BCX_UPSTREAM_TIMEOUT, BCX_INTERNAL
} = codes

export type ErrorCode = keyof typeof codes

/** Every code with its status, for the README table and the OpenAPI document. */
export const ERROR_CODES = Object.fromEntries(
  Object.entries(codes).map(([code, CodedError]) => [code, new CodedError().statusCode as number])
) as Readonly<Record<ErrorCode, number>>

/** An error that says when to try again: the error handler sends `retryAfter` as the Retry-After header. */
export interface RetryableError extends FastifyError { retryAfter: number }

/** A throttling error with its wait, in whole seconds from 1 s to an hour. */
export function retryLater (code: 'BCX_RATE_LIMITED' | 'BCX_BIGCOMMERCE_THROTTLED', waitMs: number): RetryableError {
  const retryAfter = Math.min(3600, Math.max(1, Math.ceil(waitMs / 1000)))
  const err = code === 'BCX_RATE_LIMITED' ? new BCX_RATE_LIMITED(String(retryAfter)) : new BCX_BIGCOMMERCE_THROTTLED()
  return Object.assign(err, { retryAfter })
}

/** The wait a RetryableError carries; undefined for any other error. */
export const retryAfterOf = (err: unknown): number | undefined => {
  const value = (err as Partial<RetryableError> | null)?.retryAfter
  return typeof value === 'number' ? value : undefined
}
