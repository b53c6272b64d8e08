// UPSTREAM_URL: /api/... requests no local route handles go to an internal service, with the session's
// identity in signed headers. Registered inside the /api scope, so the cross-site rules and the session
// guard run first. Browser-sent identity headers and the Cookie header never reach the upstream.
// @see https://github.com/fastify/fastify-http-proxy
import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import type { FastifyPluginAsync } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import type { IncomingHttpHeaders as Http2IncomingHttpHeaders } from 'node:http2'
import type { Config } from '../../config.js'
import { BCX_UPSTREAM_UNAVAILABLE } from '../../errors.js'
import { identityHeaders, isIdentityHeader } from '../../lib/upstream-signature.js'
import { errorResponses } from '../schemas.js'

// OPTIONS stays with CORS (preflights); everything else is forwarded.
const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT']

const proxy: FastifyPluginAsync<{ config: Config }> = async function (fastify, { config }) {
  const upstream = config.upstream
  if (upstream === undefined) return

  // The body is hashed into the signature, so it is read whole (within the body limit) and sent unchanged.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body) })

  const forward: NonNullable<FastifyHttpProxyOptions['handler']> = function (request, reply, dest, options) {
    const query = request.url.indexOf('?')
    // Exactly what reply-from requests: the destination resolved against UPSTREAM_URL, then the raw query.
    const pathAndQuery = new URL(dest, upstream?.url).pathname + (query === -1 ? '' : request.url.slice(query))
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
    const body = hasBody && Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    const added = identityHeaders(upstream?.signingSecret as string, { method: request.method, pathAndQuery, body }, request.customer, request.id)

    const rewriteRequestHeaders = (_request: unknown, headers: IncomingHttpHeaders | Http2IncomingHttpHeaders): IncomingHttpHeaders => {
      const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'cookie' && !isIdentityHeader(name)))
      return { ...kept, ...added }
    }
    return reply.from(dest, {
      ...options,
      rewriteRequestHeaders,
      ...(hasBody && (body.length > 0
        ? { body, contentType: request.headers['content-type'] ?? 'application/octet-stream' }
        : { body: null })),
      onError: (reply, { error }) => {
        reply.log.warn({ err: { message: error.message } }, 'upstream did not answer')
        reply.send(new BCX_UPSTREAM_UNAVAILABLE({ cause: error }))
      }
    })
  }

  // @fastify/http-proxy takes no schema: give its routes one, for the OpenAPI document and for our
  // error bodies (the upstream's own answers are streams, relayed as they are).
  fastify.addHook('onRoute', (route) => {
    route.schema = {
      summary: 'Forwarded to UPSTREAM_URL with signed identity headers',
      tags: ['api'],
      response: {
        '2xx': { description: 'the upstream\'s answer, relayed' },
        ...errorResponses('BCX_UNAUTHENTICATED', 'BCX_ORIGIN_REFUSED', 'BCX_CSRF_HEADER_MISSING', 'BCX_STORE_UNAVAILABLE', 'BCX_UPSTREAM_UNAVAILABLE')
      }
    }
  })
  await fastify.register(httpProxy, {
    upstream: upstream.url,
    httpMethods: METHODS,
    // Our buffering parser above stays in charge of bodies.
    proxyPayloads: false,
    handler: forward
  })
}

export default proxy
