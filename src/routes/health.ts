// Liveness and readiness: /healthz never touches Redis; /readyz asks the session store.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { quietLevel } from '../lib/log-level.js'
import { errorResponses } from '../schemas.js'

const Status = Type.Object({ status: Type.Literal('ok') })

const healthRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async function (fastify, { config }) {
  const logLevel = quietLevel(config.logLevel)
  fastify.get('/healthz', {
    logLevel,
    schema: { summary: 'Liveness: the process is up', tags: ['health'], response: { 200: Status } }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/readyz', {
    logLevel,
    schema: {
      summary: 'Readiness: the session store answers',
      tags: ['health'],
      response: { 200: Status, ...errorResponses('BCX_STORE_UNAVAILABLE') }
    }
  }, async () => {
    await fastify.sessionStore.ping()
    return { status: 'ok' as const }
  })
}

export default healthRoutes
