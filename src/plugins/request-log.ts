// One log line per request (id, route, status, duration) instead of Fastify's two; never headers.
import fp from 'fastify-plugin'

export default fp(async function requestLog (fastify) {
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.info({
      method: request.method,
      route: request.routeOptions.url ?? 'not-found',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10
    }, 'request')
  })
}, { name: 'request-log' })
