// GET /metrics in Prometheus text format; a bearer token when METRICS_TOKEN is set.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { BCX_ADMIN_UNAUTHORIZED } from '../errors.js'
import { bearerMatches } from '../lib/bearer.js'
import { quietLevel } from '../lib/log-level.js'
import { errorResponses } from '../schemas.js'

const metricsRoute: FastifyPluginAsyncTypebox<{ config: Config }> = async function (fastify, { config }) {
  fastify.get('/metrics', {
    logLevel: quietLevel(config.logLevel),
    schema: {
      summary: 'Prometheus metrics',
      tags: ['operations'],
      ...(config.metricsToken !== undefined && { security: [{ bearer: [] }] }),
      response: { 200: Type.String(), ...errorResponses('BCX_ADMIN_UNAUTHORIZED') }
    }
  }, async (request, reply) => {
    if (config.metricsToken !== undefined && !bearerMatches(request.headers.authorization, config.metricsToken)) {
      throw new BCX_ADMIN_UNAUTHORIZED()
    }
    reply.header('Content-Type', fastify.metrics.registry.contentType)
    return await fastify.metrics.registry.metrics()
  })
}

export default metricsRoute
