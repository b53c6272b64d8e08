// request.bigcommerce: each session's store calls BigCommerce with its own token; the quota gauge in
// /metrics. The remote is the stand-in over real HTTP; the install registry a small fake.
import t from 'tap'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import metrics from '../../src/plugins/metrics.js'
import errorHandler from '../../src/plugins/error-handler.js'
import bigcommerce from '../../src/bigcommerce/plugin.js'
import type { Customer } from '../../src/customer.js'
import { startStandInBigCommerce } from '../../src/dev/stand-in-bigcommerce.js'
import { build, startRedis, testConfig } from '../support/app.js'
import { signIn, api } from '../support/session.js'

type Tap = { teardown: (fn: () => unknown) => void }

async function setup (t: Tap) {
  const bc = await startStandInBigCommerce()
  t.teardown(() => bc.close())
  const tokens = new Map([['aaa111', bc.grantToken('aaa111')], ['bbb222', bc.grantToken('bbb222')]])
  const single = bc.grantToken('single1')
  const lookups: string[] = []
  const installs = {
    async get (storeHash: string) {
      lookups.push(storeHash)
      const accessToken = tokens.get(storeHash)
      return accessToken === undefined ? null : { accessToken }
    }
  }
  const config = testConfig({
    PUBLIC_URL: 'http://127.0.0.1:3000',
    STORE_TOKEN_KEY: 'store-token-key-0123456789abcdef0123',
    BC_API_URL: bc.url,
    BC_STORE_HASH: 'single1',
    BC_ACCESS_TOKEN: single
  })
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const app = Fastify({ logger: { level: 'info', stream } })
  t.teardown(() => app.close())
  await app.register(metrics)
  await app.register(errorHandler)
  await app.register(bigcommerce, { config, installs })
  app.get('/metrics', async () => await app.metrics.registry.metrics())
  // The /api scope's session guard stands in as a header naming the session's store.
  await app.register(async (api) => {
    api.decorateRequest('customer', null as unknown as Customer)
    api.addHook('onRequest', async (request) => {
      const store = request.headers['x-store']
      if (typeof store === 'string') {
        request.customer = { id: 1, email: 'c@example.com', groupId: null, storeHash: store }
      }
    })
    api.get('/sites',
      async (request) =>
        ({
          store: request.bigcommerce.storeHash,
          sites: await request.bigcommerce.get('/v3/sites'),
          again: await request.bigcommerce.get('/v3/sites')
        }))
    api.get('/nothing', async () => ({ ok: true }))
  }, { prefix: '/api' })
  const sites = async (store?: string) =>
    await app.inject({ url: '/api/sites', headers: store === undefined ? {} : { 'x-store': store } })
  return { app, bc, tokens, single, lookups, logs, sites }
}

t.test('two installed stores: each session\'s calls carry its own store\'s token', async (t) => {
  const { bc, tokens, sites, logs } = await setup(t)
  for (const store of ['aaa111', 'bbb222']) {
    const res = await sites(store)
    t.equal(res.statusCode, 200, store)
    t.equal(res.json().store, store)
    t.match(res.json().sites, { data: [{ url: `https://store-${store}.mybigcommerce.com` }] })
  }
  t.same(bc.requests.map((r) => [r.path, r.token]), [
    ['/stores/aaa111/v3/sites', tokens.get('aaa111')], ['/stores/aaa111/v3/sites', tokens.get('aaa111')],
    ['/stores/bbb222/v3/sites', tokens.get('bbb222')], ['/stores/bbb222/v3/sites', tokens.get('bbb222')]
  ])
  t.notOk([...tokens.values()].some((tok) => logs.join('').includes(tok)), 'no token in the logs')
})

t.test('BC_STORE_HASH\'s session uses BC_ACCESS_TOKEN; a store with no token: 502, BigCommerce not asked',
  async (t) => {
    const { bc, single, sites } = await setup(t)
    t.equal((await sites('single1')).statusCode, 200)
    t.ok(bc.requests.every((r) => r.token === single))
    const before = bc.requests.length
    const none = await sites('zzz999')
    t.equal(none.statusCode, 502)
    t.equal(none.json().code, 'BCX_BIGCOMMERCE_REFUSED')
    t.match(none.json().message, /this store has no API access/)
    const anonymous = await sites()
    t.equal(anonymous.statusCode, 401)
    t.equal(anonymous.json().code, 'BCX_UNAUTHENTICATED')
    t.equal(bc.requests.length, before, 'BigCommerce received nothing')
  })

t.test('created on first use: one registry lookup per request, none for a route that never calls', async (t) => {
  const { app, lookups, sites } = await setup(t)
  t.equal((await app.inject({ url: '/api/nothing', headers: { 'x-store': 'aaa111' } })).statusCode, 200)
  t.same(lookups, [])
  await sites('aaa111')
  t.same(lookups, ['aaa111'], 'two calls, one lookup')
})

t.test('a re-install\'s new token is used from the next request on', async (t) => {
  const { bc, tokens, sites } = await setup(t)
  await sites('aaa111')
  const fresh = bc.grantToken('aaa111', 'bc-token-after-reinstall')
  tokens.set('aaa111', fresh)
  t.equal((await sites('aaa111')).statusCode, 200)
  t.equal(bc.requests.at(-1)?.token, fresh)
})

t.test('the remaining quota per store in /metrics', async (t) => {
  const { app, bc, sites } = await setup(t)
  Object.assign(bc.store('bbb222'), { quota: 10 })
  await sites('aaa111')
  await sites('bbb222')
  const text = (await app.inject({ url: '/metrics' })).body
  t.match(text, /# TYPE bcx_bigcommerce_quota_remaining gauge/)
  t.match(text, /bcx_bigcommerce_quota_remaining\{store_hash="aaa111"\} 148/)
  t.match(text, /bcx_bigcommerce_quota_remaining\{store_hash="bbb222"\} 8/)
})

t.test('the whole app: /api/orders/recent reports its store\'s quota in /metrics', async (t) => {
  const redis = await startRedis(t)
  const bc = await startStandInBigCommerce()
  t.teardown(() => bc.close())
  const { app } = await build(t,
    { redis, env: { BC_STORE_HASH: 'abc123', BC_ACCESS_TOKEN: bc.grantToken('abc123'), BC_API_URL: bc.url } })
  t.notMatch((await app.inject({ url: '/metrics' })).body, /bcx_bigcommerce_quota_remaining\{/)
  const { cookie } = await signIn(app)
  const res = await api(app, cookie, '/api/orders/recent')
  t.equal(res.statusCode, 200)
  t.match((await app.inject({ url: '/metrics' })).body, /bcx_bigcommerce_quota_remaining\{store_hash="abc123"\} 149/)
})
