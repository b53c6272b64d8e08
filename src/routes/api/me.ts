// GET /api/me: the session body, as GET /session gives it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../../schemas.js'

const me: FastifyPluginAsyncTypebox = async function (fastify) {
  fastify.get('/me', {
    schema: {
      summary: 'Who is signed in (the session body)',
      tags: ['api'],
      response: { 200: Type.Ref('BcxSession'), ...errorResponses('BCX_UNAUTHENTICATED', 'BCX_STORE_UNAVAILABLE') }
    }
  }, async (request) => fastify.sessions.body(request.customerSession))
}

export default me
