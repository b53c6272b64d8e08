// GET /api/orders/recent: the signed-in customer's recently purchased products through the BigCommerce
// REST API, with the session's store's own token. Exists with BC_STORE_HASH and BC_ACCESS_TOKEN, or in
// app mode; filters by the session's customer id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import bigcommerce from '../../bigcommerce/plugin.js'
import { recentProducts } from '../../bigcommerce/recent-products.js'
import { BCX_STORE_NOT_ALLOWED } from '../../errors.js'
import { errorResponses } from '../../schemas.js'

const RecentProducts = Type.Object({
  products: Type.Array(Type.Object({
    product_id: Type.Integer(),
    variant_id: Type.Union([Type.Integer(), Type.Null()]),
    name: Type.String(),
    sku: Type.String(),
    quantity: Type.Number(),
    order_id: Type.Integer(),
    ordered_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
  }), { description: 'Newest first; each product once, from its latest order' })
})

const ordersRecent: FastifyPluginAsyncTypebox<{ config: Config }> = async function (fastify, { config }) {
  if (config.bigcommerce === undefined && config.app === undefined) return
  // Normally registered at the app's root (every /api route gets it); here too when it is not, so that this
  // route never depends on the order the app registers its plugins in.
  if (!fastify.hasRequestDecorator('bigcommerce')) await fastify.register(bigcommerce, { config })

  fastify.get('/orders/recent', {
    schema: {
      summary: 'The signed-in customer\'s recently purchased products (BigCommerce orders API)',
      tags: ['api'],
      response: {
        200: RecentProducts,
        ...errorResponses('BCX_UNAUTHENTICATED', 'BCX_STORE_NOT_ALLOWED', 'BCX_BIGCOMMERCE_REFUSED',
          'BCX_BIGCOMMERCE_THROTTLED', 'BCX_BIGCOMMERCE_TIMEOUT', 'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request) => {
    // A store without a token of its own (not installed, not BC_STORE_HASH) has no orders to show here:
    // another store's token must never read them.
    if (!await request.bigcommerce.available()) throw new BCX_STORE_NOT_ALLOWED()
    return { products: await recentProducts(request.bigcommerce, request.customer.id) }
  })
}

export default ordersRecent
