// GET /api/orders/recent: the signed-in customer's recently purchased products through the BigCommerce
// REST API. Exists only with BC_STORE_HASH and BC_ACCESS_TOKEN; filters by the session's customer id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { createBigCommerceClient } from '../../bigcommerce/client.js'
import { recentProducts } from '../../bigcommerce/recent-products.js'
import { BCX_STORE_NOT_ALLOWED } from '../../errors.js'
import { errorResponses } from '../schemas.js'

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
  const store = config.bigcommerce
  if (store === undefined) return
  const client = createBigCommerceClient(store)

  fastify.get('/orders/recent', {
    schema: {
      summary: 'The signed-in customer\'s recently purchased products (BigCommerce orders API)',
      tags: ['api'],
      response: {
        200: RecentProducts,
        ...errorResponses('BCX_UNAUTHENTICATED', 'BCX_STORE_NOT_ALLOWED', 'BCX_BIGCOMMERCE_REFUSED', 'BCX_BIGCOMMERCE_THROTTLED',
          'BCX_BIGCOMMERCE_TIMEOUT', 'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request) => {
    // The store credentials read one store: a session of another store must not see its orders.
    if (request.customer.storeHash !== store.storeHash) throw new BCX_STORE_NOT_ALLOWED()
    return { products: await recentProducts(client, request.customer.id) }
  })
}

export default ordersRecent
