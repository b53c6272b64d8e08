// DELETE /admin/sessions (README, "HTTP interface"): revoke a customer's or a store's sessions with ADMIN_TOKEN; GET: a
// customer's sessions, for support. The token
// alone authenticates: no cross-site rules here, and a session cookie is never read. Absent without ADMIN_TOKEN.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { BCX_ADMIN_UNAUTHORIZED, BCX_BAD_REQUEST } from '../errors.js'
import { bearerMatches } from '../lib/bearer.js'
import { errorResponses } from '../schemas.js'
import { AdminSessionListSchema, listedBody } from './session-list.js'
import { STORE_HASH_PATTERN } from '../lib/store-hash.js'

const Query = Type.Object({
  store_hash: Type.String({ pattern: `^${STORE_HASH_PATTERN}$`, description: 'the store whose sessions end' }),
  customer_id: Type.Optional(Type.String({
    pattern: '^[1-9][0-9]{0,15}$',
    description: 'only this customer\'s sessions'
  }))
}, { additionalProperties: false })

const ListQuery = Type.Object({
  store_hash: Type.String({ pattern: `^${STORE_HASH_PATTERN}$`, description: 'the customer\'s store' }),
  customer_id: Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'the customer' })
}, { additionalProperties: false })

const adminRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async function (fastify, { config }) {
  const adminToken = config.adminToken
  if (adminToken === undefined) return

  // onRequest: the token is checked before anything else, so a caller without it learns nothing (not even 400s).
  fastify.addHook('onRequest', async (request) => {
    if (!bearerMatches(request.headers.authorization, adminToken)) throw new BCX_ADMIN_UNAUTHORIZED()
  })

  fastify.delete('/admin/sessions', {
    schema: {
      summary: 'Revoke a customer\'s (store_hash and customer_id) or a whole store\'s (store_hash) sessions',
      tags: ['admin'],
      security: [{ bearer: [] }],
      querystring: Query,
      response: {
        200: Type.Object({ revoked: Type.Integer({ minimum: 0, description: 'sessions ended' }) }),
        ...errorResponses('BCX_BAD_REQUEST', 'BCX_ADMIN_UNAUTHORIZED', 'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request) => {
    const { store_hash: storeHash, customer_id: customerIdText } = request.query
    const customerId = customerIdText === undefined ? undefined : Number(customerIdText)
    if (customerId !== undefined && !Number.isSafeInteger(customerId)) {
      throw new BCX_BAD_REQUEST('customer_id is too large')
    }
    // Every token issued up to this second is refused from now on, and every live session ends, whatever
    // its token's iat: one may be up to JWT_CLOCK_TOLERANCE ahead of this clock, past the cutoff.
    const cutoff = Math.floor(Date.now() / 1000)
    const revoked = customerId === undefined
      ? await fastify.sessionStore.revokeStoreSessions(storeHash, cutoff, 'all')
      : await fastify.sessionStore.revokeCustomerSessions(storeHash, customerId, cutoff, 'all')
    request.log.info({ storeHash, customerId, revoked }, 'sessions revoked by an admin')
    return { revoked }
  })

  fastify.get('/admin/sessions', {
    schema: {
      summary: 'A customer\'s live sessions, as GET /session/list shows them (without `current`); ' +
        'reading them slides nothing',
      tags: ['admin'],
      security: [{ bearer: [] }],
      querystring: ListQuery,
      response: {
        200: AdminSessionListSchema,
        ...errorResponses('BCX_BAD_REQUEST', 'BCX_ADMIN_UNAUTHORIZED', 'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request) => {
    const customerId = Number(request.query.customer_id)
    if (!Number.isSafeInteger(customerId)) throw new BCX_BAD_REQUEST('customer_id is too large')
    const sessions = await fastify.sessionStore.list(request.query.store_hash, customerId)
    return { sessions: sessions.map(listedBody) }
  })
}

export default adminRoutes
