// POST, GET and DELETE /session (README, "HTTP interface"), and the session list beneath it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { BCX_BAD_REQUEST, BCX_UNAUTHENTICATED } from '../errors.js'
import { applySessionScope } from '../session/guard.js'
import { errorResponses } from '../schemas.js'
import sessionListRoutes from './session-list.js'

/** Largest exchange body accepted; larger ones get Fastify's 413. */
export const EXCHANGE_BODY_LIMIT = 8 * 1024

const ExchangeBody = Type.Union([
  Type.Object({ token: Type.String({ minLength: 1 }) }, { description: 'application/json' }),
  Type.String({ minLength: 1, description: 'text/plain: the JWT as BigCommerce returned it' })
])

const sessionRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async function (fastify, { config }) {
  applySessionScope(fastify)
  // In this scope: the same cross-site rules and no-store answers.
  await fastify.register(sessionListRoutes)
  const sessionRef = Type.Ref('BcxSession')

  fastify.post('/session', {
    bodyLimit: EXCHANGE_BODY_LIMIT,
    onRequest: fastify.exchangeLimits.byAddress ?? [],
    schema: {
      summary: 'Exchange a Current Customer JWT for a session cookie',
      tags: ['session'],
      headers: Type.Object({ 'x-csrf': Type.Optional(Type.Literal('1')) }),
      body: ExchangeBody,
      response: {
        201: sessionRef,
        ...errorResponses('BCX_BAD_REQUEST', 'BCX_TOKEN_INVALID', 'BCX_TOKEN_EXPIRED', 'BCX_TOKEN_CLAIMS',
          'BCX_TOKEN_REVOKED', 'BCX_STORE_NOT_ALLOWED', 'BCX_ORIGIN_REFUSED', 'BCX_CSRF_HEADER_MISSING',
          'BCX_TOKEN_REPLAYED', 'FST_ERR_CTP_BODY_TOO_LARGE', 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'BCX_RATE_LIMITED',
          'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request, reply) => {
    const { body } = request
    // A string body is the text/plain form only: a JSON string is not {"token": ...}.
    if (typeof body === 'string' && request.headers['content-type']?.toLowerCase().startsWith('text/plain') !== true) {
      throw new BCX_BAD_REQUEST('a JSON body must be {"token": "<jwt>"}')
    }
    const token = typeof body === 'string' ? body : body.token
    const session = await fastify.sessions.exchange(request, reply, token)
    return reply.code(201).send(fastify.sessions.body(session))
  })

  fastify.get('/session', {
    schema: {
      summary: 'Who is signed in; slides the idle timeout',
      tags: ['session'],
      response: { 200: sessionRef, ...errorResponses('BCX_UNAUTHENTICATED', 'BCX_STORE_UNAVAILABLE') }
    }
  }, async (request, reply) => {
    const session = await fastify.sessions.load(request, reply)
    if (session === null) throw new BCX_UNAUTHENTICATED()
    return fastify.sessions.body(session)
  })

  fastify.delete('/session', {
    schema: {
      summary: 'End the session (server-side) and clear the cookie',
      tags: ['session'],
      response: {
        204: Type.Null({ description: 'Ended, or there was none' }),
        ...errorResponses('BCX_ORIGIN_REFUSED', 'BCX_CSRF_HEADER_MISSING', 'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request, reply) => {
    await fastify.sessions.end(request, reply)
    return reply.code(204).send(null)
  })
}

export default sessionRoutes
