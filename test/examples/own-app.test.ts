// examples/own-app.ts: the exchanger registered inside an app builder's own Fastify app, with a route
// of theirs that reads request.customer — against a real Redis.
import t from 'tap'
import Fastify from 'fastify'
import { buildOwnApp, loyaltyRoutes } from '../../examples/own-app.js'
import { bcSessionExchanger } from '../../src/index.js'
import { startRedis, testConfig, waitReady, ORIGIN, OTHER_ORIGIN } from '../support/app.js'
import { getSession, signIn, api } from '../support/session.js'

async function setup (t: Parameters<typeof startRedis>[0]) {
  const redis = await startRedis(t)
  const app = buildOwnApp(testConfig({ REDIS_URL: redis.url }))
  t.teardown(() => app.close())
  await app.ready()
  await waitReady(app)
  const { cookie } = await signIn(app, { customerId: 4927 })
  const points = async (): Promise<number> =>
    (await api(app, cookie, '/api/loyalty/points')).json().points
  return { app, cookie, points }
}

t.test('the builder\'s route reads the customer from the session', async (t) => {
  const { app, cookie } = await setup(t)
  const res = await app.inject({
    method: 'GET',
    url: '/api/loyalty/points',
    headers: { 'x-csrf': '1', origin: ORIGIN, cookie, 'x-customer-id': '1' }
  })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { customer_id: 4927, points: 100 })
  t.equal(res.headers['access-control-allow-origin'], ORIGIN, 'CORS covers the builder\'s /api routes')
  t.equal(res.headers['cache-control'], 'no-store')
  const redeem = await app.inject({
    method: 'POST',
    url: '/api/loyalty/redeem',
    headers: { origin: ORIGIN, 'x-csrf': '1', cookie },
    payload: { points: 30 }
  })
  t.equal(redeem.statusCode, 200)
  t.same(redeem.json(), { customer_id: 4927, points: 70 })
  const me = await api(app, cookie, '/api/me')
  t.equal(me.json().customer.id, 4927, 'the exchanger\'s own /api routes are there too')
  const hello = await app.inject({ method: 'GET', url: '/hello', headers: { cookie: 'broken' } })
  t.same(hello.json(), { hello: 'world' })
  t.equal(hello.headers['set-cookie'], undefined, 'the builder\'s other routes never read the cookie')
})

t.test('the builder\'s plugin registered before the exchanger: the same rules, the same answers', async (t) => {
  const redis = await startRedis(t)
  const config = testConfig({ REDIS_URL: redis.url })
  const app = Fastify()
  app.register(loyaltyRoutes, { prefix: '/api/loyalty' })
  app.register(bcSessionExchanger, { config })
  t.teardown(() => app.close())
  await app.ready()
  await waitReady(app)
  const { cookie } = await signIn(app, { customerId: 4927 })
  const redeem = (headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/loyalty/redeem', headers: { cookie, ...headers }, payload: { points: 30 } })
  const ok = await redeem({ origin: ORIGIN, 'x-csrf': '1' })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { customer_id: 4927, points: 70 })
  const foreign = await redeem({ origin: 'https://evil.example', 'x-csrf': '1' })
  t.equal(foreign.statusCode, 403)
  t.equal(foreign.json().code, 'BCX_ORIGIN_REFUSED')
  t.equal((await redeem({ origin: ORIGIN })).json().code, 'BCX_CSRF_HEADER_MISSING')
})

t.test('the /api rules apply to the builder\'s routes: refused, and nothing changed', async (t) => {
  const { app, cookie, points } = await setup(t)
  const redeem = (headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/loyalty/redeem', headers, payload: { points: 50 } })
  const cases: Array<[string, Promise<Awaited<ReturnType<typeof redeem>>>, number, string]> = [
    ['no session', redeem({ origin: ORIGIN, 'x-csrf': '1' }), 401, 'BCX_UNAUTHENTICATED'],
    ['foreign Origin', redeem({ origin: 'https://evil.example', 'x-csrf': '1', cookie }), 403, 'BCX_ORIGIN_REFUSED'],
    ['another allowed origin than the session\'s', redeem({ origin: OTHER_ORIGIN, 'x-csrf': '1', cookie }), 403,
      'BCX_ORIGIN_REFUSED'],
    ['no Origin', redeem({ 'x-csrf': '1', cookie }), 403, 'BCX_ORIGIN_REFUSED'],
    ['no X-CSRF on a POST', redeem({ origin: ORIGIN, cookie }), 403, 'BCX_CSRF_HEADER_MISSING'],
    ['X-CSRF not 1', redeem({ origin: ORIGIN, 'x-csrf': 'true', cookie }), 403, 'BCX_CSRF_HEADER_MISSING']
  ]
  for (const [name, pending, status, code] of cases) {
    const res = await pending
    t.equal(res.statusCode, status, name)
    t.equal(res.json().code, code, name)
  }
  for (const origin of [OTHER_ORIGIN, 'https://evil.example']) {
    const read =
      await app.inject({ method: 'GET', url: '/api/loyalty/points', headers: { 'x-csrf': '1', origin, cookie } })
    t.equal(read.statusCode, 401, `GET from ${origin}`)
    t.equal(read.json().code, 'BCX_UNAUTHENTICATED')
  }
  t.equal(await points(), 100, 'no refused request changed the balance')
  t.equal((await getSession(app, cookie)).statusCode, 200, 'the session is still valid for its own origin')
})
