// The one table of coded errors the service answers with (README, "Errors"): each code with its status.
import createError from '@fastify/error'

export const BCX_BAD_REQUEST = createError('BCX_BAD_REQUEST', 'Bad request: %s', 400)
export const BCX_TOKEN_INVALID = createError('BCX_TOKEN_INVALID', 'The token is not a valid HS512 or HS256 JWS: %s', 401)
export const BCX_TOKEN_EXPIRED = createError('BCX_TOKEN_EXPIRED', 'The token has expired: %s', 401)
export const BCX_TOKEN_CLAIMS = createError('BCX_TOKEN_CLAIMS', 'The token has a missing or wrong claim: %s', 401)
export const BCX_TOKEN_REVOKED = createError('BCX_TOKEN_REVOKED', 'The token was issued before a revocation of its customer or store', 401)
export const BCX_TOKEN_REPLAYED = createError('BCX_TOKEN_REPLAYED', 'The token was already exchanged', 409)
export const BCX_STORE_NOT_ALLOWED = createError('BCX_STORE_NOT_ALLOWED', 'The store is not served by this service', 403)
export const BCX_ORIGIN_REFUSED = createError('BCX_ORIGIN_REFUSED', 'Origin refused: %s', 403)
export const BCX_CSRF_HEADER_MISSING = createError('BCX_CSRF_HEADER_MISSING', 'Requests to /session and /api must carry the header X-CSRF: 1 from a CORS request', 403)
export const BCX_UNAUTHENTICATED = createError('BCX_UNAUTHENTICATED', 'No valid session', 401)
export const BCX_SESSION_NOT_FOUND = createError('BCX_SESSION_NOT_FOUND', 'No session of this customer has that handle', 404)
export const BCX_SIGNED_PAYLOAD_INVALID = createError('BCX_SIGNED_PAYLOAD_INVALID', 'The signed payload does not verify or was used before: %s', 401)
export const BCX_ADMIN_UNAUTHORIZED = createError('BCX_ADMIN_UNAUTHORIZED', 'Missing or wrong credentials', 401)
export const BCX_RATE_LIMITED = createError('BCX_RATE_LIMITED', 'Too many requests, retry in %s seconds', 429)
export const BCX_STORE_UNAVAILABLE = createError('BCX_STORE_UNAVAILABLE', 'The session store did not answer in time', 503)
export const BCX_BIGCOMMERCE_REFUSED = createError('BCX_BIGCOMMERCE_REFUSED', 'BigCommerce refused the request', 502)
export const BCX_BIGCOMMERCE_THROTTLED = createError('BCX_BIGCOMMERCE_THROTTLED', 'BigCommerce is throttling requests', 503)
export const BCX_BIGCOMMERCE_TIMEOUT = createError('BCX_BIGCOMMERCE_TIMEOUT', 'BigCommerce did not answer in time', 504)
export const BCX_UPSTREAM_UNAVAILABLE = createError('BCX_UPSTREAM_UNAVAILABLE', 'The upstream service did not answer', 502)
export const BCX_UPSTREAM_TIMEOUT = createError('BCX_UPSTREAM_TIMEOUT', 'The upstream service did not answer in time', 504)
export const BCX_INTERNAL = createError('BCX_INTERNAL', 'Internal server error', 500)

/** Every code with its status, for the README table and the OpenAPI document. */
export const ERROR_CODES = {
  BCX_BAD_REQUEST: 400,
  BCX_TOKEN_INVALID: 401,
  BCX_TOKEN_EXPIRED: 401,
  BCX_TOKEN_CLAIMS: 401,
  BCX_TOKEN_REVOKED: 401,
  BCX_TOKEN_REPLAYED: 409,
  BCX_STORE_NOT_ALLOWED: 403,
  BCX_ORIGIN_REFUSED: 403,
  BCX_CSRF_HEADER_MISSING: 403,
  BCX_UNAUTHENTICATED: 401,
  BCX_SESSION_NOT_FOUND: 404,
  BCX_SIGNED_PAYLOAD_INVALID: 401,
  BCX_ADMIN_UNAUTHORIZED: 401,
  BCX_RATE_LIMITED: 429,
  BCX_STORE_UNAVAILABLE: 503,
  BCX_BIGCOMMERCE_REFUSED: 502,
  BCX_BIGCOMMERCE_THROTTLED: 503,
  BCX_BIGCOMMERCE_TIMEOUT: 504,
  BCX_UPSTREAM_UNAVAILABLE: 502,
  BCX_UPSTREAM_TIMEOUT: 504,
  BCX_INTERNAL: 500
} as const

export type ErrorCode = keyof typeof ERROR_CODES
