// Library use: an app builder's own Fastify app with the exchanger inside. The plugin brings the
// exchange (POST /session), the session, GET /api/me, /storefront.js and the rest; the builder adds a
// feature in one file — a plugin under /api/ whose routes read `request.customer`.
// In your project, import from 'bc-session-exchanger' instead of '../src/index.js'.
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import { bcSessionExchanger, requireCustomerSession, loggerOptions, type Config } from '../src/index.js'

/** The builder's feature, one file: every route here sees the signed-in customer or answers 401. */
export const loyaltyRoutes: FastifyPluginAsync = async function (scope) {
  // Cross-site rules (X-CSRF: 1 on every request, an allowed Origin on writes, the session's own
  // origin), then the session.
  requireCustomerSession(scope)
  const balances = new Map<string, number>() // stands for the builder's database
  const keyOf = (c: { storeHash: string, id: number }): string => `${c.storeHash}:${c.id}`

  scope.get('/points', async (request) => ({
    customer_id: request.customer.id,
    points: balances.get(keyOf(request.customer)) ?? 100
  }))

  scope.post<{ Body: { points: number } }>('/redeem', {
    schema: {
      body: {
        type: 'object',
        properties: { points: { type: 'integer', minimum: 1 } },
        required: ['points'],
        additionalProperties: false
      }
    }
  }, async (request) => {
    // Whose points: the session says, never the body or a header.
    const key = keyOf(request.customer)
    const left = (balances.get(key) ?? 100) - request.body.points
    balances.set(key, left)
    return { customer_id: request.customer.id, points: left }
  })
}

export function buildOwnApp (config: Config): FastifyInstance {
  const app = Fastify({ logger: loggerOptions(config) })
  app.register(bcSessionExchanger, { config })
  // Under /api/ so that the storefront's CORS covers it; the prefix is the builder's choice.
  app.register(loyaltyRoutes, { prefix: '/api/loyalty' })
  // The builder's other routes: no session guard, and the cookie is never read there.
  app.get('/hello', async () => ({ hello: 'world' }))
  return app
}
