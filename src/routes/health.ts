// Liveness and readiness (SPEC.md): /healthz never touches Redis; /readyz asks the session store.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from './schemas.js'

const Status = Type.Object({ status: Type.Literal('ok') })

const healthRoutes: FastifyPluginAsyncTypebox = async function (fastify) {
  fastify.get('/healthz', {
    logLevel: 'warn',
    schema: { summary: 'Liveness: the process is up', tags: ['health'], response: { 200: Status } }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/readyz', {
    logLevel: 'warn',
    schema: { summary: 'Readiness: the session store answers', tags: ['health'], response: { 200: Status, ...errorResponses('BCX_STORE_UNAVAILABLE') } }
  }, async () => {
    await fastify.sessionStore.ping()
    return { status: 'ok' as const }
  })
}

export default healthRoutes
