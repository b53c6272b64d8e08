// The /api scope: every route here runs behind the customer-session guard.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../../config.js'
import { requireCustomerSession } from '../../plugins/customer-session.js'
import me from './me.js'

const apiRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async function (fastify, { config }) {
  requireCustomerSession(fastify, config)
  await fastify.register(me)
}

export default apiRoutes
