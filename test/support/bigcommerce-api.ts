// A stand-in BigCommerce REST API on loopback: the v2 orders paths and shapes the orders route reads,
// plus switches for the failures BigCommerce produces (401, 403, 429, 500, no answer).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StandInOrder { id: number, customer_id: number, date_created: string, products: Array<{ product_id: number, variant_id: number, name: string, sku: string, quantity: number }> }

export type Mode = 'ok' | 'unauthorized' | 'forbidden' | 'throttled' | 'throttled-bare' | 'error' | 'hang' | 'garbage'

export interface StandInBigCommerce {
  url: string
  storeHash: string
  accessToken: string
  orders: StandInOrder[]
  mode: Mode
  /** Every request received: method, path with query, X-Auth-Token. */
  requests: Array<{ method: string, url: string, token: string | undefined }>
  close (): Promise<void>
}

export async function startBigCommerceApi ({ storeHash = 'abc123', accessToken = 'bc-access-token-test' } = {}): Promise<StandInBigCommerce> {
  const hanging = new Set<ServerResponse>()
  const api: StandInBigCommerce = {
    url: '',
    storeHash,
    accessToken,
    orders: [],
    mode: 'ok',
    requests: [],
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  function json (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  function handle (req: IncomingMessage, res: ServerResponse): void {
    const token = req.headers['x-auth-token']
    api.requests.push({ method: req.method ?? '', url: req.url ?? '', token: typeof token === 'string' ? token : undefined })
    switch (api.mode) {
      case 'hang': hanging.add(res); return
      case 'unauthorized': return json(res, 401, [{ status: 401, message: 'You are not authorized' }])
      case 'forbidden': return json(res, 403, [{ status: 403, message: 'You don\'t have a required scope' }])
      case 'throttled': return json(res, 429, { status: 429 }, { 'x-rate-limit-time-reset-ms': '15000', 'x-rate-limit-requests-left': '0' })
      case 'throttled-bare': return json(res, 429, { status: 429 })
      case 'error': return json(res, 500, { status: 500, title: 'Internal error' })
      case 'garbage': res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"not": "a list"'); return
    }
    if (token !== api.accessToken) return json(res, 401, [{ status: 401, message: 'You are not authorized' }])
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const prefix = `/stores/${api.storeHash}/v2/orders`
    if (req.method === 'GET' && url.pathname === prefix) {
      const customerId = Number(url.searchParams.get('customer_id'))
      const limit = Number(url.searchParams.get('limit') ?? 50)
      const found = api.orders
        .filter((o) => url.searchParams.get('customer_id') === null || o.customer_id === customerId)
        .sort((a, b) => Date.parse(b.date_created) - Date.parse(a.date_created))
        .slice(0, limit)
        .map(({ products, ...order }) => ({ ...order, status: 'Completed', total_inc_tax: '10.0000' }))
      // v2 lists answer 204 No Content when nothing matches.
      if (found.length === 0) { res.writeHead(204); res.end(); return }
      return json(res, 200, found)
    }
    const products = new RegExp(`^${prefix}/(\\d+)/products$`).exec(url.pathname)
    if (req.method === 'GET' && products !== null) {
      const order = api.orders.find((o) => o.id === Number(products[1]))
      if (order === undefined) return json(res, 404, [{ status: 404, message: 'The requested resource was not found.' }])
      return json(res, 200, order.products.map((p, i) => ({ id: order.id * 100 + i, order_id: order.id, ...p, base_price: '5.0000' })))
    }
    json(res, 404, [{ status: 404, message: 'The requested resource was not found.' }])
  }

  const server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return api
}
