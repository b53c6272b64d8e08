// The merchant page's count of live sessions SCANs the whole keyspace: each instance remembers a
// store's count for a while, so repeated page views do not rescan; "sign out every shopper" and an
// uninstall forget it. Real Redis, the real callbacks, the stand-in BigCommerce.
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { createLiveSessionCounter } from '../../../src/routes/bigcommerce/live-sessions.js'
import { eventually, startRedis } from '../../support/app.js'
import { exchange } from '../../support/session.js'
import { token } from '../../support/tokens.js'
import type { RedisServer } from '../../support/redis-server.js'
import { formTokenOf, liveSessionsOf, appModeWithStandIn, installThroughCallback } from '../../support/app-mode.js'
import { commandCalls } from '../../support/redis-state.js'

const STORE = 'livecount'
const ORIGIN = 'https://www.live-count.example'

const calls =
  async (redis: RedisServer, command: string): Promise<number> => (await commandCalls(redis.client))[command] ?? 0
const scans = async (redis: RedisServer): Promise<number> => await calls(redis, 'scan')

t.test('repeated loads within the window send one SCAN sequence; signing everyone out forgets the count', async (t) => {
  const { app, redis, bc } = await appModeWithStandIn(t, {
    sites: { [STORE]: ORIGIN },
    allowedOrigins: 'https://static.example',
    env: { LOG_LEVEL: 'warn' }
  })
  const load = async (): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'GET', url: `/bigcommerce/load?signed_payload_jwt=${await bc.signPayload(STORE)}` })
  const signIn = async (customerId: number): Promise<number> =>
    (await exchange(app, await token({ storeHash: STORE, customerId }), { origin: ORIGIN })).statusCode

  t.equal((await installThroughCallback(app, bc, STORE)).statusCode, 200)
  await eventually(async () => await signIn(1) === 201, 'the installed origin exchanges the store\'s tokens')

  const before = await scans(redis)
  const first = await load()
  t.equal(first.statusCode, 200)
  t.equal(liveSessionsOf(first.body), '1')
  const perCount = await scans(redis) - before
  t.ok(perCount >= 1, `the first load scans (${perCount} SCAN calls)`)

  t.equal(await signIn(2), 201)
  const writes = await calls(redis, 'publish')
  const second = await load()
  t.equal(await calls(redis, 'publish'), writes, 'a load that finds everything in place writes and announces nothing')
  t.equal(second.statusCode, 200)
  t.equal(await scans(redis) - before, perCount, 'the second load within the window sent no SCAN')
  t.equal(liveSessionsOf(second.body), '1', 'it shows the remembered count (up to 30 s old)')

  const revoked = await app.inject({
    method: 'POST',
    url: '/bigcommerce/sessions/revoke',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `form_token=${encodeURIComponent(formTokenOf(second.body) as string)}`
  })
  t.equal(revoked.statusCode, 200)
  t.match(revoked.body, 'data-revoked="2"')
  const afterRevoke = await scans(redis)
  const third = await load()
  t.equal(liveSessionsOf(third.body), '0', 'counted again after every shopper was signed out')
  t.ok(await scans(redis) - afterRevoke >= 1, 'the revoke forgot the remembered count')
})

t.test('the counter: remembered for ttlMs, shared by concurrent views, bounded, a failure not remembered',
  async (t) => {
    const redis = await startRedis(t)
    await redis.client.set('bcx:{shop1:7}:s:aaa', 'x')
    await redis.client.set('bcx:{shop1:8}:s:bbb', 'x')
    await redis.client.set('bcx:{shop2:7}:s:ccc', 'x')
    let clock = 1_000_000
    const counter = createLiveSessionCounter(redis.client, { ttlMs: 30_000, maxStores: 2, now: () => clock })
    const before = await scans(redis)
    t.same(await Promise.all([counter.count('shop1'), counter.count('shop1'), counter.count('shop1')]), [2, 2, 2])
    t.equal(await scans(redis) - before, 1, 'three concurrent views, one SCAN')
    await redis.client.set('bcx:{shop1:9}:s:ddd', 'x')
    clock += 29_999
    t.equal(await counter.count('shop1'), 2, 'within the window: remembered')
    clock += 1
    t.equal(await counter.count('shop1'), 3, 'past it: counted again')
    t.equal(await counter.countNow('shop1'), 3)
    const afterNow = await scans(redis)
    t.equal(await counter.count('shop1'), 3)
    t.equal(await scans(redis) - afterNow, 1, 'countNow remembers nothing: the next view scans')

    await counter.count('shop2')
    await counter.count('shop3')
    const bounded = await scans(redis)
    await counter.count('shop1')
    t.equal(await scans(redis) - bounded, 1, 'past maxStores the oldest answer went')

    const noRedis = createLiveSessionCounter(null)
    t.equal(await noRedis.count('shop1'), null, 'the in-process store: not counted')

    await redis.stop()
    const down = createLiveSessionCounter(redis.client, { now: () => clock })
    await t.rejects(down.count('shop1'))
    await redis.start()
    await eventually(async () => await redis.client.ping().then(() => true, () => false), 'Redis back')
    await redis.client.set('bcx:{shop1:7}:s:eee', 'x')
    t.equal(await down.count('shop1'), 1, 'the failure was not remembered')
  })
