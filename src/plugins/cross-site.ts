// CORS for the allow-list, and the write rules: allowed Origin plus X-CSRF: 1 (SPEC.md, "Cross-site rules").
// @see https://github.com/fastify/fastify-cors
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import type { onRequestAsyncHookHandler } from 'fastify'
import type { Config } from '../config.js'
import { originAllowed, type OriginPattern } from '../lib/origin.js'
import { BCX_CSRF_HEADER_MISSING, BCX_ORIGIN_REFUSED } from '../errors.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The methods a preflight may allow, by the scope the URL falls in; null: no CORS at all. */
function scopeMethods (url: string): string | null {
  const path = url.split('?', 1)[0] as string
  if (path === '/session') return 'GET,HEAD,POST,DELETE'
  if (path === '/api' || path.startsWith('/api/')) return 'GET,HEAD,POST,PUT,PATCH,DELETE'
  return null
}

/** onRequest hook for /session and /api: a state-changing request needs an allowed Origin and X-CSRF: 1. */
export function crossSiteWriteGuard (patterns: readonly OriginPattern[]): onRequestAsyncHookHandler {
  return async function crossSiteWriteGuard (request) {
    if (SAFE_METHODS.has(request.method)) return
    const origin = request.headers.origin
    if (origin === undefined) throw new BCX_ORIGIN_REFUSED('missing')
    if (!originAllowed(origin, patterns)) throw new BCX_ORIGIN_REFUSED('not allowed')
    if (request.headers['x-csrf'] !== '1') throw new BCX_CSRF_HEADER_MISSING()
  }
}

export default fp<{ config: Config }>(async function crossSite (fastify, { config }) {
  const patterns = config.allowedOrigins
  const allow = (origin: string | undefined, cb: (err: Error | null, allow: boolean) => void): void => {
    cb(null, originAllowed(origin, patterns))
  }
  await fastify.register(cors, {
    delegator: (request, cb) => {
      const methods = scopeMethods(request.url)
      if (methods === null) return cb(null, { origin: false })
      cb(null, {
        origin: allow,
        credentials: true,
        methods,
        allowedHeaders: ['Content-Type', 'X-CSRF'],
        maxAge: 600,
        // strictPreflight would answer a bare OPTIONS with a text/plain 400, outside our error shape.
        strictPreflight: false
      })
    }
  })
}, { name: 'cross-site' })
