// UPSTREAM_URL: /api/... requests no local route handles go to an internal service, with the session's
// identity in signed headers. Registered inside the /api scope, so the cross-site rules and the session
// guard run first, before any body is read. What reaches the upstream of the browser's headers:
// forwarded-headers.ts. The upstream has UPSTREAM_TIMEOUT_MS to answer, else 504.
// @see https://github.com/fastify/fastify-http-proxy
import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import type { IncomingHttpHeaders as Http2IncomingHttpHeaders } from 'node:http2'
import type { Config } from '../../config.js'
import { BCX_BAD_REQUEST, BCX_UPSTREAM_TIMEOUT, BCX_UPSTREAM_UNAVAILABLE } from '../../errors.js'
import { identityHeaders } from '../../lib/upstream-signature.js'
import { errorResponses } from '../../schemas.js'
import { downstreamHeaders, upstreamHeaders } from './forwarded-headers.js'

// OPTIONS stays with CORS (preflights); everything else is forwarded.
const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT']

/** The HTTP client's ways of saying "no answer in time": connecting, or waiting for the headers. */
const TIMEOUT_CODES = new Set([
  'FST_REPLY_FROM_GATEWAY_TIMEOUT',
  'FST_REPLY_FROM_TIMEOUT',
  'FST_REPLY_FROM_HTTP_REQUEST_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT'
])

/** Why the upstream gave no answer, in our table. The HTTP client's own refusals of a request are bad input. */
function upstreamFailure (error: Error): Error {
  const code = (error as Partial<FastifyError>).code
  const cause = (error.cause as Partial<FastifyError> | undefined)?.code
  if (TIMEOUT_CODES.has(code ?? '') || TIMEOUT_CODES.has(cause ?? '')) return new BCX_UPSTREAM_TIMEOUT({ cause: error })
  if (cause === 'UND_ERR_INVALID_ARG' || cause === 'UND_ERR_NOT_SUPPORTED') {
    return new BCX_BAD_REQUEST('the request cannot be forwarded')
  }
  return new BCX_UPSTREAM_UNAVAILABLE({ cause: error })
}

/** The HTTP client logs its failures with the error; a dependency that did not answer needs no stack. */
const withoutStack = (err: Error): Record<string, unknown> => ({
  type: err.name,
  message: err.message,
  code: (err as Partial<FastifyError>).code,
  cause: (err.cause as Error | undefined)?.message
})

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
    const signedRequest = { method: request.method, pathAndQuery, body }
    const added = identityHeaders(upstream?.signingSecret as string, signedRequest, request.customer, request.id)

    const rewriteRequestHeaders = (
      _request: unknown,
      headers: IncomingHttpHeaders | Http2IncomingHttpHeaders
    ): IncomingHttpHeaders => upstreamHeaders(request, headers as IncomingHttpHeaders, hasBody, added)
    return reply.from(dest, {
      ...options,
      rewriteRequestHeaders,
      rewriteHeaders: (headers) => downstreamHeaders(headers, config.cookie.name),
      timeout: config.upstreamTimeoutMs,
      ...(hasBody && (body.length > 0
        ? { body, contentType: request.headers['content-type'] ?? 'application/octet-stream' }
        : { body: null })),
      onError: (reply, { error }) => { reply.send(upstreamFailure(error)) }
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
        ...errorResponses('BCX_BAD_REQUEST', 'BCX_UNAUTHENTICATED', 'BCX_ORIGIN_REFUSED', 'BCX_CSRF_HEADER_MISSING',
          'BCX_STORE_UNAVAILABLE', 'BCX_UPSTREAM_UNAVAILABLE', 'BCX_UPSTREAM_TIMEOUT')
      }
    }
  })
  await fastify.register(httpProxy, {
    upstream: upstream.url,
    httpMethods: METHODS,
    // Our buffering parser above stays in charge of bodies.
    proxyPayloads: false,
    // Connecting counts against the same limit; the per-request timeout covers the wait for headers and body.
    undici: { connect: { timeout: config.upstreamTimeoutMs } },
    handler: forward,
    // Set once for these routes (Fastify folds it into the one child logger it makes per request).
    // (Fastify types a serializer as returning a string; pino takes the object it returns, as for `err` itself.)
    logSerializers: { err: withoutStack as unknown as (err: unknown) => string }
  })
}

export default proxy
