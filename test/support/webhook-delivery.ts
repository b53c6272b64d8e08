// Signs webhook deliveries the way BigCommerce does (Standard Webhooks, HMAC-SHA256 keyed with the raw
// client secret over "<id>.<timestamp>.<body>"), written with node:crypto alone so the tests do not
// check the standardwebhooks library against itself.
import { createHmac, randomUUID } from 'node:crypto'

export interface Delivery { body: string, headers: Record<string, string> }

export function customerEvent (scope: string, storeHash: string, customerId: number,
  createdAt: number): Record<string, unknown> {
  return {
    scope,
    store_id: '1025646',
    data: { type: 'customer', id: customerId },
    hash: 'b3f5c4e1a2',
    created_at: createdAt,
    producer: `stores/${storeHash}`
  }
}

export interface DeliveryOptions { id?: string, timestamp?: number, body?: string }

/** A store-wide event (store/app/uninstalled) as BigCommerce delivers it. */
export function storeEvent (scope: string, storeHash: string, createdAt: number): Record<string, unknown> {
  return {
    scope,
    store_id: '1025646',
    data: { type: 'store', id: 1025646 },
    hash: 'x',
    created_at: createdAt,
    producer: `stores/${storeHash}`
  }
}

export function signedDelivery (payload: unknown, secret: string, opts: DeliveryOptions = {}): Delivery {
  const { id = `msg_${randomUUID()}`, timestamp = Math.floor(Date.now() / 1000), body } = opts
  const raw = body ?? JSON.stringify(payload)
  const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.${raw}`).digest('base64')
  return {
    body: raw,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': `v1,${signature}`
    }
  }
}

/** The named headers alone, for a delivery with the others left out. */
export function only (headers: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => names.includes(name)))
}
