// GET /api/orders/recent against a stand-in BigCommerce API on loopback and a real Redis.
import t from 'tap'
import { build, startRedis, OTHER_ORIGIN } from '../../support/app.js'
import { api, getSession, signIn } from '../../support/session.js'
import { startBigCommerceApi, type StandInBigCommerce } from '../../support/bigcommerce-api.js'
import type { StandInOrderProduct } from '../../../src/dev/stand-in-bigcommerce.js'
import { freePort } from '../../support/redis-server.js'

const product = (id: number, name: string, quantity = 1) =>
  ({ product_id: id, variant_id: id * 10, name, sku: `SKU-${id}`, quantity })

const order = (id: number, customerId: number, dateCreated: string, products: StandInOrderProduct[]) =>
  ({ id, customer_id: customerId, date_created: dateCreated, products })

function seed (bc: StandInBigCommerce): void {
  bc.orders = [
    order(101, 4927, 'Tue, 05 Mar 2024 21:04:30 +0000', [product(1, 'Mug'), product(2, 'Tee', 2)]),
    order(102, 4927, 'Wed, 06 Mar 2024 10:00:00 +0000', [product(2, 'Tee'), product(3, 'Cap')]),
    order(900, 5000, 'Thu, 07 Mar 2024 10:00:00 +0000', [product(9, 'Secret purchase')])
  ]
}

async function setup (t: Tap) {
  const redis = await startRedis(t)
  const bc = await startBigCommerceApi()
  t.teardown(() => bc.close())
  seed(bc)
  const built =
    await build(t, { redis, env: { BC_STORE_HASH: 'abc123', BC_ACCESS_TOKEN: bc.accessToken, BC_API_URL: bc.url } })
  const { cookie } = await signIn(built.app)
  const recent = async (headers: Record<string, string> = {}, url = '/api/orders/recent') =>
    await api(built.app, cookie, url, { headers })
  return { ...built, bc, cookie, recent }
}
type Tap = Parameters<typeof startRedis>[0]

t.test('the signed-in customer\'s recent products, newest order first, each product once', async (t) => {
  const { bc, recent } = await setup(t)
  const res = await recent()
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  // Each product once, as the newest order it is in has it.
  t.same(res.json().products, [
    { ...product(2, 'Tee'), order_id: 102, ordered_at: '2024-03-06T10:00:00.000Z' },
    { ...product(3, 'Cap'), order_id: 102, ordered_at: '2024-03-06T10:00:00.000Z' },
    { ...product(1, 'Mug'), order_id: 101, ordered_at: '2024-03-05T21:04:30.000Z' }
  ])
  const list = new URL(bc.requests[0]?.url as string, 'http://x')
  t.equal(list.pathname, '/stores/abc123/v2/orders')
  t.equal(list.searchParams.get('customer_id'), '4927')
  t.equal(list.searchParams.get('sort'), 'date_created:desc')
  t.ok(bc.requests.every((r) => r.token === bc.accessToken), 'the store access token is sent')
  t.same(bc.requests.slice(1).map((r) => r.url.split('?')[0]).sort(),
    ['/stores/abc123/v2/orders/101/products', '/stores/abc123/v2/orders/102/products'])
})

t.test('the customer id comes from the session, never from the browser', async (t) => {
  const { bc, recent } = await setup(t)
  const res = await recent({ 'x-customer-id': '5000' }, '/api/orders/recent?customer_id=5000')
  t.equal(res.statusCode, 200)
  t.notOk(JSON.stringify(res.json()).includes('Secret purchase'))
  t.equal(new URL(bc.requests[0]?.url as string, 'http://x').searchParams.get('customer_id'), '4927',
    'BigCommerce was asked about customer 4927')
  t.ok(bc.requests.every((r) => !r.url.includes('5000')), 'and only about customer 4927')
  t.ok(bc.requests.every((r) => !r.url.includes('/orders/900/')))
})

t.test('a customer without orders gets an empty list (BigCommerce answers 204)', async (t) => {
  const { app, bc } = await setup(t)
  const { cookie } = await signIn(app, { customerId: 6000 })
  const res = await api(app, cookie, '/api/orders/recent')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { products: [] })
  t.equal(bc.requests.length, 1)
})

t.test('a session of another store than BC_STORE_HASH: 403, BigCommerce not asked', async (t) => {
  const { app, bc } = await setup(t)
  const { cookie } = await signIn(app, { storeHash: 'xyz789', origin: OTHER_ORIGIN })
  const res = await api(app, cookie, '/api/orders/recent', { origin: OTHER_ORIGIN })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'BCX_STORE_NOT_ALLOWED')
  t.equal(bc.requests.length, 0)
})

t.test('/api rules: no session, another allowed origin than the session\'s: 401, BigCommerce not asked', async (t) => {
  const { app, bc, cookie, recent } = await setup(t)
  const none = await api(app, undefined, '/api/orders/recent')
  t.equal(none.statusCode, 401)
  t.equal(none.json().code, 'BCX_UNAUTHENTICATED')
  const other = await recent({ origin: OTHER_ORIGIN })
  t.equal(other.statusCode, 401)
  t.equal(other.json().code, 'BCX_UNAUTHENTICATED')
  const foreign = await recent({ origin: 'https://evil.example' })
  t.equal(foreign.statusCode, 401)
  t.equal(foreign.json().code, 'BCX_UNAUTHENTICATED')
  t.equal(bc.requests.length, 0)
  t.equal((await getSession(app, cookie)).statusCode, 200, 'the session stays valid for its own origin')
})

const failures: Array<[StandInBigCommerce['mode'], number, string, string | undefined]> = [
  ['unauthorized', 502, 'BCX_BIGCOMMERCE_REFUSED', undefined],
  ['forbidden', 502, 'BCX_BIGCOMMERCE_REFUSED', undefined],
  ['error', 502, 'BCX_BIGCOMMERCE_REFUSED', undefined],
  ['garbage', 502, 'BCX_BIGCOMMERCE_REFUSED', undefined],
  // A bare 429 is retried once, a second later; the second 429 is answered with that second.
  ['throttled-bare', 503, 'BCX_BIGCOMMERCE_THROTTLED', '1'],
  // Last: its quota window (15 s) then holds every further call of this store.
  ['throttled', 503, 'BCX_BIGCOMMERCE_THROTTLED', '15']
]

t.test('BigCommerce failures map to our codes; the session survives', async (t) => {
  const { app, bc, cookie, recent, logs } = await setup(t)
  for (const [mode, status, code, retryAfter] of failures) {
    bc.mode = mode
    const res = await recent()
    t.equal(res.statusCode, status, mode)
    t.equal(res.json().code, code, mode)
    t.equal(res.headers['retry-after'], retryAfter, `${mode}: Retry-After`)
    t.notOk(res.body.includes(bc.accessToken), `${mode}: no credential in the answer`)
  }
  bc.mode = 'ok'
  t.equal((await getSession(app, cookie)).statusCode, 200)
  t.notOk(logs.join('').includes(bc.accessToken), 'the access token never reaches the logs')
})

t.test('a BigCommerce API that cannot be reached: 502', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, {
    redis,
    env: {
      BC_STORE_HASH: 'abc123',
      BC_ACCESS_TOKEN: 'token-x',
      BC_API_URL: `http://127.0.0.1:${await freePort()}`
    }
  })
  const { cookie } = await signIn(app)
  const res = await api(app, cookie, '/api/orders/recent')
  t.equal(res.statusCode, 502)
  t.equal(res.json().code, 'BCX_BIGCOMMERCE_REFUSED')
})

t.test('a BigCommerce that does not answer: 504 after the client timeout', async (t) => {
  const { bc, recent } = await setup(t)
  bc.mode = 'hang'
  const started = Date.now()
  const res = await recent()
  t.equal(res.statusCode, 504)
  t.equal(res.json().code, 'BCX_BIGCOMMERCE_TIMEOUT')
  t.ok(Date.now() - started < 15_000, 'bounded by the timeout')
})

t.test('the route does not exist without BC_STORE_HASH and BC_ACCESS_TOKEN', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  const res = await api(app, cookie, '/api/orders/recent')
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'FST_ERR_NOT_FOUND')
})
