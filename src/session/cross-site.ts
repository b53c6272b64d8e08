// CORS for the allow-list, and the rules of /session and /api: X-CSRF: 1 from a CORS request on every
// method but OPTIONS, and an allowed Origin on writes (README, "Cross-site rules").
// Our own hook, not @fastify/cors: with per-path options that library rebuilds and normalizes them on
// every request, the largest JavaScript cost of an authenticated read (README, design notes). The
// headers are the ones it sent, and test/session/cross-site.test.ts pins them.
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { Config } from '../config.js'
import { boundedMemo } from '../lib/bounded-memo.js'
import { originAllowed, type OriginPattern } from '../lib/origin.js'
import { BCX_CSRF_HEADER_MISSING, BCX_ORIGIN_REFUSED } from '../errors.js'

const SESSION_METHODS = 'GET,HEAD,POST,DELETE'
const SESSION_LIST_METHODS = 'GET,HEAD,DELETE'
const API_METHODS = 'GET,HEAD,POST,PUT,PATCH,DELETE'
const ALLOWED_HEADERS = 'Content-Type, X-CSRF'
const MAX_AGE = '600'

/** The methods a preflight may allow, by the scope the URL falls in; null: no CORS at all. */
export function scopeMethods (url: string): string | null {
  const end = url.indexOf('?')
  const path = end === -1 ? url : url.slice(0, end)
  if (path === '/session') return SESSION_METHODS
  // /session/list and /session/list/{handle}: listing and ending sessions.
  if (path.startsWith('/session/')) return SESSION_LIST_METHODS
  if (path === '/api' || path.startsWith('/api/')) return API_METHODS
  return null
}

/** originAllowed for one allow-list, remembered per origin: a storefront sends the same few origins all day. */
export function originCheck (patterns: readonly OriginPattern[]): (origin: string | undefined) => boolean {
  const allowed = boundedMemo((origin) => originAllowed(origin, patterns))
  return (origin) => origin !== undefined && allowed(origin)
}

/**
 * Why a request may not use the session cookie here, or null. Every method but OPTIONS needs X-CSRF: 1:
 * a browser adds a custom header only to a CORS request, after a preflight, so an <img>, a <script>, a
 * no-cors fetch or a navigation from any page of the cookie's site is refused before the session is
 * read, slid or forwarded. Sec-Fetch-Mode, when present, must agree. Writes also need an allowed Origin,
 * looked up per request (a builder's scope may be registered before the exchanger; without the
 * allow-list nothing is allowed). A read with no Origin comes from no browser and is judged by its cookie.
 */
function crossSiteRefusal (request: FastifyRequest): Error | null {
  const method = request.method
  if (method === 'OPTIONS') return null
  if (method !== 'GET' && method !== 'HEAD') {
    const origin = request.headers.origin
    if (origin === undefined) return new BCX_ORIGIN_REFUSED('missing')
    if (request.server.originAllowed?.(origin) !== true) return new BCX_ORIGIN_REFUSED('not allowed')
  }
  if (request.headers['x-csrf'] !== '1') return new BCX_CSRF_HEADER_MISSING()
  const mode = request.headers['sec-fetch-mode']
  if (mode !== undefined && mode !== 'cors' && mode !== 'same-origin') return new BCX_CSRF_HEADER_MISSING()
  return null
}

/** onRequest hook for /session and /api. Callback style: reads, the hot path, pass without a promise. */
export const crossSiteGuard: onRequestHookHandler = function crossSiteGuard (request, _reply, done) {
  const refusal = crossSiteRefusal(request)
  if (refusal === null) done()
  else done(refusal)
}

/** Adds to Vary without repeating a name already there (an upstream's answer may carry one). */
function varyOnOrigin (reply: FastifyReply): void {
  const vary = reply.getHeader('vary')
  if (vary === undefined) reply.header('Vary', 'Origin')
  else if (!/(^|,)\s*(origin|\*)\s*(,|$)/i.test(String(vary))) reply.header('Vary', `${String(vary)}, Origin`)
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The allow-list check, shared by the CORS hook and every session scope's guard. */
    originAllowed: (origin: string | undefined) => boolean
  }
}

export default fp<{ config: Config }>(async function crossSite (fastify, { config }) {
  // ALLOWED_ORIGINS plus the installed stores' origins; registered alone, the static list only.
  const allowed = fastify.hasDecorator('allowLists')
    ? fastify.allowLists.originAllowed
    : originCheck(config.allowedOrigins)
  fastify.decorate('originAllowed', allowed)

  fastify.addHook('onRequest', function cors (request, reply, done) {
    const methods = scopeMethods(request.url)
    if (methods === null) return done()
    // The answer depends on Origin whether or not it is allowed: caches must keep them apart.
    varyOnOrigin(reply)
    const origin = request.headers.origin
    if (origin === undefined || !allowed(origin)) return done()
    reply.header('Access-Control-Allow-Origin', origin).header('Access-Control-Allow-Credentials', 'true')
    if (request.method !== 'OPTIONS') return done()
    // Any OPTIONS from an allowed origin is a preflight: a bare one gets 204 too, never a text/plain 400.
    reply
      .header('Access-Control-Allow-Methods', methods)
      .header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
      .header('Access-Control-Max-Age', MAX_AGE)
      .code(204)
      .header('Content-Length', '0')
      .send()
  })

  // Lets OPTIONS reach the hook above; anything it did not answer as a preflight is not found.
  fastify.options('*', { schema: { hide: true } }, async (_request, reply) => reply.callNotFound())
}, { name: 'cross-site' })
