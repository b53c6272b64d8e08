// The /api scope: every route here runs behind the customer-session guard.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../../config.js'
import { requireCustomerSession } from '../../session/guard.js'
import me from './me.js'
import ordersRecent from './orders-recent.js'
import proxy from './proxy.js'
import { notFound } from '../../plugins/error-handler.js'

const apiRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async function (fastify, { config }) {
  requireCustomerSession(fastify)
  // Unknown /api paths pass the cross-site rules and the session check before their 404.
  fastify.setNotFoundHandler(notFound)
  await fastify.register(me)
  await fastify.register(ordersRecent, { config })
  // Last: the proxy takes every /api/... path that no route above handles.
  await fastify.register(proxy, { config })
}

export default apiRoutes
