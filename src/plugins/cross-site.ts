// CORS for the allow-list, and the write rules: allowed Origin plus X-CSRF: 1 (SPEC.md, "Cross-site rules").
// Our own hook, not @fastify/cors: with per-path options that library rebuilds and normalizes them on
// every request, the largest JavaScript cost of an authenticated read (README, design notes). The
// headers are the ones it sent, and test/plugins/cross-site.test.ts pins them.
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { Config } from '../config.js'
import { boundedMemo } from '../lib/bounded-memo.js'
import { originAllowed, type OriginPattern } from '../lib/origin.js'
import { BCX_CSRF_HEADER_MISSING, BCX_ORIGIN_REFUSED } from '../errors.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const SESSION_METHODS = 'GET,HEAD,POST,DELETE'
const API_METHODS = 'GET,HEAD,POST,PUT,PATCH,DELETE'
const ALLOWED_HEADERS = 'Content-Type, X-CSRF'
const MAX_AGE = '600'

/** The methods a preflight may allow, by the scope the URL falls in; null: no CORS at all. */
export function scopeMethods (url: string): string | null {
  const end = url.indexOf('?')
  const path = end === -1 ? url : url.slice(0, end)
  if (path === '/session') return SESSION_METHODS
  if (path === '/api' || path.startsWith('/api/')) return API_METHODS
  return null
}

/** originAllowed for one allow-list, remembered per origin: a storefront sends the same few origins all day. */
export function originCheck (patterns: readonly OriginPattern[]): (origin: string | undefined) => boolean {
  const allowed = boundedMemo((origin) => originAllowed(origin, patterns))
  return (origin) => origin !== undefined && allowed(origin)
}

/**
 * Why a request may not change state here, or null: it needs an allowed Origin and X-CSRF: 1. The
 * allow-list check is looked up per request (a builder's scope may be registered before the
 * exchanger), and without it nothing is allowed.
 */
function writeRefusal (request: FastifyRequest): Error | null {
  if (SAFE_METHODS.has(request.method)) return null
  const origin = request.headers.origin
  if (origin === undefined) return new BCX_ORIGIN_REFUSED('missing')
  if (request.server.originAllowed?.(origin) !== true) return new BCX_ORIGIN_REFUSED('not allowed')
  if (request.headers['x-csrf'] !== '1') return new BCX_CSRF_HEADER_MISSING()
  return null
}

/** onRequest hook for /session and /api. Callback style: reads, the hot path, pass without a promise. */
export const crossSiteWriteGuard: onRequestHookHandler = function crossSiteWriteGuard (request, _reply, done) {
  const refusal = writeRefusal(request)
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
    /** The allow-list check, shared by the CORS hook and every session scope's write guard. */
    originAllowed: (origin: string | undefined) => boolean
  }
}

export default fp<{ config: Config }>(async function crossSite (fastify, { config }) {
  const allowed = originCheck(config.allowedOrigins)
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
