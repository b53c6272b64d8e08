// The allow-lists in app mode, through POST /session: a store is served when it is in BC_STORE_HASHES
// or installed; an origin is allowed when ALLOWED_ORIGINS matches it or an installed store owns it; an
// origin an installed store owns exchanges only that store's tokens (or those of every store sharing it).
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { build, startRedis, ORIGIN, STORE } from '../support/app.js'
import { exchange, sessionCookieOf, signIn, api, getSession } from '../support/session.js'
import { token } from '../support/tokens.js'
import { APP_ENV, installOf, within } from '../support/app-mode.js'
import { assertUnchanged, snapshot } from '../support/redis-state.js'

const ONE = 'storeone'
const TWO = 'storetwo'
const redis = await startRedis(t)
const { app } = await build(t, {
  redis,
  env: {
    ...APP_ENV,
    BC_STORE_HASHES: STORE,
    // two.example is both listed here and owned by an installed store: it stays bound to that store.
    ALLOWED_ORIGINS: 'https://*.mybigcommerce.com,https://two.example',
    LOG_LEVEL: 'silent'
  }
})

async function install (storeHash: string, origins: string[]): Promise<void> {
  await app.installs.put(installOf(storeHash, origins))
  await within(3000, () => origins.every((o) => app.allowLists.storesOfOrigin(o).has(storeHash)),
    `${storeHash} in force`)
}

async function uninstall (storeHash: string): Promise<void> {
  await app.installs.remove(storeHash)
  await within(3000,
    () => !app.allowLists.storesOfOrigin('https://one.example').has(storeHash) &&
      !app.allowLists.storesOfOrigin('https://two.example').has(storeHash), `${storeHash} gone`)
}

/** The keys of sessions, guards, counters and cutoffs: app mode's install records change as stores come and go. */
const SESSION_SIDE = { pattern: 'bcx:*', skip: (key: string) => key.startsWith('bcx:{app') }

async function refused (t: Test, res: LightMyRequestResponse, code: string, message: RegExp): Promise<void> {
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, code)
  t.match(res.json().message, message)
  t.equal(sessionCookieOf(res), undefined, 'no cookie')
}

await install(ONE, ['https://one.example', 'https://both.example'])
await install(TWO, ['https://two.example', 'https://both.example'])

t.test("an installed store's own origin exchanges its tokens", async (t) => {
  t.equal((await exchange(app, await token({ storeHash: ONE }), { origin: 'https://one.example' })).statusCode, 201)
  t.equal((await exchange(app, await token({ storeHash: TWO }), { origin: 'https://two.example' })).statusCode, 201)
})

t.test("another store's token from a bound origin: 403 BCX_ORIGIN_REFUSED, nothing changes", async (t) => {
  const before = await snapshot(redis.client, SESSION_SIDE)
  for (const [storeHash, origin] of [[TWO, 'https://one.example'], [ONE, 'https://two.example'],
    [STORE, 'https://one.example'],
    [TWO, 'https://ONE.example'], [TWO, 'https://one.example:443']] as const) {
    const res = await exchange(app, await token({ storeHash }), { origin })
    await refused(t, res, 'BCX_ORIGIN_REFUSED', /origin belongs to another store/)
  }
  await assertUnchanged(t, redis.client, before, 'no session, no spent-token guard, no counter', SESSION_SIDE)
})

t.test('documented rule: an origin in ALLOWED_ORIGINS that an installed store owns is bound to it, ' +
  'shutting a BC_STORE_HASHES store out (the install is warned about)', async (t) => {
  const res = await exchange(app, await token({ storeHash: STORE }), { origin: 'https://two.example' })
  await refused(t, res, 'BCX_ORIGIN_REFUSED', /another store/)
})

t.test('an origin two installed stores share exchanges either store\'s tokens, and no third', async (t) => {
  t.equal((await exchange(app, await token({ storeHash: ONE }), { origin: 'https://both.example' })).statusCode, 201)
  t.equal((await exchange(app, await token({ storeHash: TWO }), { origin: 'https://both.example' })).statusCode, 201)
  await refused(t, await exchange(app, await token({ storeHash: STORE }), { origin: 'https://both.example' }),
    'BCX_ORIGIN_REFUSED', /another store/)
})

t.test('a static wildcard entry is bound to no store', async (t) => {
  t.equal((await exchange(app, await token({ storeHash: ONE }), { origin: ORIGIN })).statusCode, 201)
  t.equal((await exchange(app, await token({ storeHash: STORE }), { origin: ORIGIN })).statusCode, 201)
})

t.test('a store neither listed nor installed: 403 BCX_STORE_NOT_ALLOWED, nothing changes', async (t) => {
  const before = await snapshot(redis.client, SESSION_SIDE)
  await refused(t, await exchange(app, await token({ storeHash: 'stranger' }), { origin: ORIGIN }),
    'BCX_STORE_NOT_ALLOWED', /not served/)
  await assertUnchanged(t, redis.client, before, 'refused', SESSION_SIDE)
})

t.test('CORS follows installs: an installed origin is allowed, an unknown one is not', async (t) => {
  const preflight = async (origin: string): Promise<LightMyRequestResponse> => await app.inject({
    method: 'OPTIONS', url: '/session', headers: { origin, 'access-control-request-method': 'POST' }
  })
  t.equal((await preflight('https://one.example')).headers['access-control-allow-origin'], 'https://one.example')
  t.equal((await preflight('https://three.example')).headers['access-control-allow-origin'], undefined)
  await refused(t, await exchange(app, await token({ storeHash: ONE }), { origin: 'https://three.example' }),
    'BCX_ORIGIN_REFUSED', /not allowed/)
  await install('storethree', ['https://three.example'])
  t.equal((await preflight('https://three.example')).headers['access-control-allow-origin'], 'https://three.example')
  t.equal((await exchange(app, await token({ storeHash: 'storethree' }),
    { origin: 'https://three.example' })).statusCode, 201)
  await app.installs.remove('storethree')
  await within(3000, () => !app.allowLists.originAllowed('https://three.example'), 'storethree gone')
  t.equal((await preflight('https://three.example')).headers['access-control-allow-origin'], undefined)
})

t.test('after an uninstall the store\'s tokens are refused, unless BC_STORE_HASHES lists it', async (t) => {
  const before = await snapshot(redis.client, SESSION_SIDE)
  await uninstall(ONE)
  await refused(t, await exchange(app, await token({ storeHash: ONE }), { origin: ORIGIN }),
    'BCX_STORE_NOT_ALLOWED', /not served/)
  await refused(t, await exchange(app, await token({ storeHash: ONE }), { origin: 'https://one.example' }),
    'BCX_ORIGIN_REFUSED', /not allowed/)
  await assertUnchanged(t, redis.client, before, 'the refusals changed nothing', SESSION_SIDE)
  t.equal((await exchange(app, await token({ storeHash: TWO }), { origin: 'https://both.example' })).statusCode,
    201, 'the other store keeps its shared origin')

  await install(STORE, ['https://abc.example'])
  t.equal((await exchange(app, await token({ storeHash: STORE }), { origin: 'https://abc.example' })).statusCode, 201)
  await app.installs.remove(STORE)
  await within(3000, () => !app.allowLists.originAllowed('https://abc.example'), 'its origin gone')
  t.ok(app.allowLists.storeServed(STORE), 'the static list is the operator\'s word')
  t.equal((await exchange(app, await token({ storeHash: STORE }), { origin: ORIGIN })).statusCode, 201)
})

t.test('the read path sends no extra Redis command in app mode', async (t) => {
  const { cookie } = await signIn(app, { storeHash: TWO, origin: 'https://two.example' })
  await redis.client.config('RESETSTAT')
  for (let i = 0; i < 10; i++) {
    t.equal((await getSession(app, cookie, 'https://two.example')).statusCode, 200)
    t.equal((await api(app, cookie, '/api/me', { origin: 'https://two.example' })).statusCode, 200)
  }
  await app.inject({
    method: 'OPTIONS',
    url: '/session',
    headers: { origin: 'https://two.example', 'access-control-request-method': 'GET' }
  })
  const stats = await redis.client.info('commandstats')
  const calls =
    [...stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].filter(([, cmd]) => cmd !== 'info' && cmd !== 'config')
  t.same(calls.map(([, cmd, n]) => `${cmd}=${n}`), ['getex=20'], 'one GETEX per read, as in single-store mode')
})

t.test('outside app mode: nothing installed, nothing installable, the static lists only', async (t) => {
  const { app: plain } = await build(t, { redis })
  t.equal(await plain.installs.get(TWO), null)
  t.same(await plain.installs.list(), [])
  await t.rejects(plain.installs.put(installOf(TWO, ['https://two.example'])), /app mode is off/)
  t.notOk(plain.allowLists.storeServed(TWO), 'the store installed in Redis means nothing here')
  t.ok(plain.allowLists.storeServed(STORE))
  t.notOk(plain.allowLists.originAllowed('https://both.example'))
  t.same([...plain.allowLists.storesOfOrigin('https://both.example')], [])
})

t.test('app mode on the in-process store: installs apply at once', async (t) => {
  const { app: dev } =
    await build(t, { redis: 'memory', env: { ...APP_ENV, BC_STORE_HASHES: undefined, ALLOWED_ORIGINS: undefined } })
  t.notOk(dev.allowLists.storeServed(ONE), 'app mode with no list: no store before installs')
  await refused(t, await exchange(dev, await token({ storeHash: ONE }), { origin: ORIGIN }), 'BCX_ORIGIN_REFUSED',
    /not allowed/)
  await dev.installs.put(installOf(ONE, ['https://one.example']))
  await within(3000, () => dev.allowLists.storeServed(ONE), 'installed')
  t.equal((await exchange(dev, await token({ storeHash: ONE }), { origin: 'https://one.example' })).statusCode, 201)
  await refused(t, await exchange(dev, await token({ storeHash: TWO }), { origin: 'https://one.example' }),
    'BCX_STORE_NOT_ALLOWED', /not served/)
})
