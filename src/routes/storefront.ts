// GET /storefront.js: the storefront client script. A versioned URL (?v=<hash>) is cached for good; the bare
// URL briefly, so a deploy reaches browsers within minutes. Readable by any origin without credentials, so
// <script integrity=... crossorigin="anonymous"> works. No session cookie is read here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { loadScriptAsset, type ScriptAsset } from '../storefront/script-asset.js'
import { errorResponses } from '../schemas.js'

export const IMMUTABLE = 'public, max-age=31536000, immutable'
export const SHORT = 'public, max-age=300'

/** True when an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET). */
function matches (ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t.replace(/^W\//, '') === etag
  })
}

const storefrontRoutes: FastifyPluginAsyncTypebox<{ asset?: ScriptAsset }> = async function (fastify, opts) {
  const asset = opts.asset ?? loadScriptAsset()
  const etag = `"${asset.version}"`

  fastify.get('/storefront.js', {
    schema: {
      summary: 'The storefront client script (window.BcSession)',
      description: `Load it with Script Manager. \`?v=${asset.version}\` (the current version) is cached as ` +
        'immutable; the bare URL for 5 minutes. Pin it with Subresource Integrity: see docs/storefront.md.',
      tags: ['storefront'],
      querystring: Type.Object({
        v: Type.Optional(Type.String({
          maxLength: 64,
          description: 'content version; any other value gets the current script with a short cache'
        }))
      }),
      response: {
        200: {
          description: 'The script',
          content: { 'text/javascript': { schema: Type.Unsafe<Buffer>({ type: 'string' }) } }
        },
        304: Type.Null({ description: 'Not modified (If-None-Match)' }),
        ...errorResponses('BCX_BAD_REQUEST')
      }
    }
  }, async (request, reply) => {
    // The same bytes for every origin, and no Vary: Origin to split caches.
    reply
      .header('Access-Control-Allow-Origin', '*')
      .header('Cross-Origin-Resource-Policy', 'cross-origin')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', request.query.v === asset.version ? IMMUTABLE : SHORT)
      .header('ETag', etag)
    if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send(null)
    return reply.type('text/javascript; charset=utf-8').send(asset.source)
  })
}

export default storefrontRoutes
