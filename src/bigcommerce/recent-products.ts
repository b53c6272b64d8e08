// The signed-in customer's recently purchased products, as BigCommerce's sample apps show them: the
// customer's latest v2 orders, then each order's products.
import { BCX_BIGCOMMERCE_REFUSED } from '../errors.js'
import type { BigCommerceClient } from './client.js'
import { isRecord } from '../lib/is-record.js'

export interface RecentProduct {
  product_id: number
  variant_id: number | null
  name: string
  sku: string
  quantity: number
  order_id: number
  /** The order's date_created in ISO 8601, or null when BigCommerce sent none. */
  ordered_at: string | null
}

interface Order { id: number, customerId: number, orderedAt: string | null }

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0

function unexpected (what: string): Error {
  return new BCX_BIGCOMMERCE_REFUSED({ cause: new Error(`unexpected ${what} from BigCommerce`) })
}

function toIso (value: unknown): string | null {
  if (typeof value !== 'string') return null
  const time = Date.parse(value)
  return Number.isNaN(time) ? null : new Date(time).toISOString()
}

function asOrders (body: unknown): Order[] {
  if (body === null) return []
  if (!Array.isArray(body)) throw unexpected('orders')
  return body.map((o: unknown) => {
    if (!isRecord(o) || !isId(o.id) || typeof o.customer_id !== 'number') throw unexpected('order')
    return { id: o.id, customerId: o.customer_id, orderedAt: toIso(o.date_created) }
  })
}

function asProducts (body: unknown, order: Order): RecentProduct[] {
  if (body === null) return []
  if (!Array.isArray(body)) throw unexpected('order products')
  return body.map((p: unknown) => {
    if (!isRecord(p) || typeof p.product_id !== 'number' || typeof p.name !== 'string') {
      throw unexpected('order product')
    }
    return {
      product_id: p.product_id,
      variant_id: typeof p.variant_id === 'number' ? p.variant_id : null,
      name: p.name,
      sku: typeof p.sku === 'string' ? p.sku : '',
      quantity: typeof p.quantity === 'number' ? p.quantity : 0,
      order_id: order.id,
      ordered_at: order.orderedAt
    }
  })
}

/** Newest first; a product bought in several orders appears once, from its latest order. */
export async function recentProducts (
  client: BigCommerceClient,
  customerId: number,
  { orders: limit = 5 } = {}
): Promise<RecentProduct[]> {
  const listed = asOrders(await client.get('/v2/orders', { customer_id: customerId, sort: 'date_created:desc', limit }))
  // The API filters by customer_id; checking again costs nothing and never shows another shopper's order.
  const orders = listed.filter((o) => o.customerId === customerId).slice(0, limit)
  const perOrder = await Promise.all(orders.map(async (order) =>
    asProducts(await client.get(`/v2/orders/${order.id}/products`, { limit: 50 }), order)))
  const seen = new Set<string>()
  return perOrder.flat().filter((p) => {
    const key = `${p.product_id}:${p.variant_id ?? ''}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
