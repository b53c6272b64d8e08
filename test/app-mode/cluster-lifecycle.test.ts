// The install lifecycle on a real 3-master Redis Cluster, through the real callbacks and the stand-in
// BigCommerce: install a store, exchange its token from its own origin, uninstall it — every session
// of the store ends and its tokens are refused, on this instance and on a second one.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { testConfig, waitReady } from '../support/app.js'
import { exchange, getSession, signIn } from '../support/session.js'
import { token } from '../support/tokens.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { standInAppEnv, within, standInBigCommerce, installThroughCallback } from '../support/app-mode.js'

const STORE = 'clusterstore1'
const ORIGIN = 'https://www.cluster-shop.example'

t.test('install, exchange and uninstall on a Cluster, seen by two instances', async (t) => {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.close())
  const bc = await standInBigCommerce(t, { [STORE]: ORIGIN })
  const config = testConfig({
    ...standInAppEnv(bc.url),
    BC_STORE_HASHES: undefined,
    ALLOWED_ORIGINS: undefined,
    REDIS_CLUSTER_NODES: cluster.seeds
  })
  const start = async (): Promise<FastifyInstance> => {
    const app = buildApp(config, { logger: false })
    t.teardown(() => app.close())
    await app.ready()
    await waitReady(app, 15_000)
    return app
  }
  const [a, b] = [await start(), await start()]
  const storeToken = async (): Promise<string> => await token({ storeHash: STORE })

  const before = await exchange(a, await storeToken(), { origin: ORIGIN })
  t.equal(before.statusCode, 403, 'before the install: refused')
  t.equal(before.json().code, 'BCX_ORIGIN_REFUSED', 'its origin is not known yet')

  const installed = await installThroughCallback(a, bc, STORE)
  t.equal(installed.statusCode, 200, 'the install callback answers its page')
  await within(3000, () => b.allowLists.storeServed(STORE) && b.allowLists.originAllowed(ORIGIN),
    'the install in force on B')

  // Once installed, a shopper signs in on either instance.
  const cookies = [(await signIn(a, { jwt: await storeToken(), origin: ORIGIN })).cookie,
    (await signIn(b, { jwt: await storeToken(), origin: ORIGIN })).cookie]
  for (const cookie of cookies) t.equal((await getSession(b, cookie, ORIGIN)).statusCode, 200)

  const uninstalled =
    await b.inject({ method: 'GET', url: `/bigcommerce/uninstall?signed_payload_jwt=${await bc.signPayload(STORE)}` })
  t.equal(uninstalled.statusCode, 200, 'the uninstall callback answers')
  for (const cookie of cookies) {
    const read = await getSession(a, cookie, ORIGIN)
    t.equal(read.statusCode, 401, 'every session of the store ended, on every master')
    t.equal(read.json().code, 'BCX_UNAUTHENTICATED')
  }
  await within(3000, () => !a.allowLists.storeServed(STORE), 'the uninstall in force on A')
  const refused = await exchange(a, await storeToken(), { origin: ORIGIN })
  t.equal(refused.statusCode, 403, 'its tokens are refused')
  t.equal(refused.json().code, 'BCX_ORIGIN_REFUSED', 'its origin is no longer allowed')
})
