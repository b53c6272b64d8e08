// CORS for /session/list and /session/list/{handle}: the same answers the service's CORS hook gives
// /session (cross-site.ts), whose scope table names /session alone. Set in onSend, so that a refusal
// by the cross-site guard (403 with our code) is readable by the storefront page too.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

const METHODS = 'GET,HEAD,DELETE'
const ALLOWED_HEADERS = 'Content-Type, X-CSRF'
const MAX_AGE = '600'

function corsHeaders (request: FastifyRequest, reply: FastifyReply): boolean {
  const vary = reply.getHeader('vary')
  if (vary === undefined) reply.header('Vary', 'Origin')
  else if (!/(^|,)\s*(origin|\*)\s*(,|$)/i.test(String(vary))) reply.header('Vary', `${String(vary)}, Origin`)
  const origin = request.headers.origin
  if (origin === undefined || !request.server.originAllowed(origin)) return false
  reply.header('Access-Control-Allow-Origin', origin).header('Access-Control-Allow-Credentials', 'true')
  return true
}

export function sessionListCors (scope: FastifyInstance): void {
  scope.addHook('onSend', function sessionListCorsHeaders (request, reply, payload, done) {
    if (request.method !== 'OPTIONS') corsHeaders(request, reply)
    done(null, payload)
  })
  for (const url of ['/session/list', '/session/list/:handle']) {
    scope.options(url, { schema: { hide: true } }, async (request, reply) => {
      // Not an allowed origin: no preflight answer, as for any other OPTIONS.
      if (!corsHeaders(request, reply)) return reply.callNotFound()
      return reply.code(204)
        .header('Access-Control-Allow-Methods', METHODS)
        .header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
        .header('Access-Control-Max-Age', MAX_AGE)
        .header('Content-Length', '0')
        .send()
    })
  }
}
