// App mode on a real 3-master Redis Cluster: the registry's keys live in as many slots as there are
// stores, updates are single-key scripts, and the change channel reaches an instance whatever node
// its subscriber landed on.
import t from 'tap'
import type { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { installKey, STORES_KEY } from '../../src/app-mode/installs.js'
import { testConfig, waitReady } from '../support/app.js'
import { exchange } from '../support/session.js'
import { token } from '../support/tokens.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { accessTokenOf, APP_ENV, installOf, within } from '../support/app-mode.js'

const cluster = await startRedisCluster()
t.teardown(() => cluster.close())

async function clusterApp (): Promise<FastifyInstance> {
  const app = buildApp(testConfig({
    ...APP_ENV,
    BC_STORE_HASHES: undefined,
    ALLOWED_ORIGINS: undefined,
    REDIS_CLUSTER_NODES: cluster.seeds
  }), { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  await waitReady(app, 15_000)
  return app
}

const a = await clusterApp()
const b = await clusterApp()
// Stores whose install keys hash to different slots, so that the test crosses nodes.
const STORES = ['alpha1', 'bravo2', 'charlie3', 'delta4', 'echo5', 'foxtrot6']

t.test('registry on a Cluster: put, get, update, list, remove, across slots', async (t) => {
  const slots =
    new Set(await Promise.all(STORES.map(async (s) => await cluster.clients[0]?.cluster('KEYSLOT', installKey(s)))))
  t.ok(slots.size > 1, `${slots.size} slots for ${STORES.length} stores`)
  for (const s of STORES) await a.installs.put(installOf(s, [`https://${s}.example`]))
  t.same(await b.installs.list(), [...STORES].sort())
  for (const s of STORES) t.equal((await b.installs.get(s))?.accessToken, accessTokenOf(s))
  t.same((await b.installs.update('bravo2', { origins: ['https://bravo-new.example'], hookIds: [5] }))?.hookIds, [5])
  t.same((await a.installs.get('bravo2'))?.origins, ['https://bravo-new.example'])
  t.equal(await a.installs.remove('alpha1'), true)
  t.equal(await a.installs.get('alpha1'), null)
  t.same(await a.installs.list(), STORES.filter((s) => s !== 'alpha1').sort())
  // Nowhere on any node is a token in plaintext.
  for (const node of cluster.clients) {
    for (const key of await node.keys('bcx:*')) {
      const type = await node.type(key)
      const value = type === 'string' ? await node.get(key) : (await node.smembers(key)).join(',')
      for (const s of STORES) t.notOk(value?.includes(accessTokenOf(s)), `${key} holds no plaintext token`)
    }
  }
  const holds = async (c: Redis): Promise<true> => {
    if (await c.exists(STORES_KEY) === 1) return true
    throw new Error('not here')
  }
  t.ok(await Promise.any(cluster.clients.map(holds)), 'one master holds the store list')
})

t.test('changes on A are in force on B through the Cluster\'s pub/sub', async (t) => {
  const figures: number[] = []
  for (const s of STORES.slice(1)) await a.installs.remove(s)
  for (let i = 0; i < 10; i++) {
    const store = `cl${i}`
    const began = performance.now()
    await a.installs.put(installOf(store, [`https://cl${i}.example`]))
    await within(3000,
      () => b.allowLists.storeServed(store) && b.allowLists.originAllowed(`https://cl${i}.example`), `${store} on B`)
    figures.push(performance.now() - began)
    await a.installs.remove(store)
    await within(3000, () => !b.allowLists.storeServed(store), `${store} gone from B`)
  }
  const sorted = [...figures].sort((x, y) => x - y)
  const ms = (v: number | undefined): string => `${(v ?? NaN).toFixed(1)} ms`
  t.comment(`Cluster: install on A -> in force on B: median ${ms(sorted[5])}, max ${ms(sorted[9])}`)
  t.ok((sorted[5] as number) < 1000)
  await a.installs.put(installOf('clx', ['https://clx.example']))
  await within(3000, () => b.allowLists.storeServed('clx'), 'clx on B')
  t.equal((await exchange(b, await token({ storeHash: 'clx' }), { origin: 'https://clx.example' })).statusCode, 201)
  const refused = await exchange(b, await token({ storeHash: 'other' }), { origin: 'https://clx.example' })
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'BCX_STORE_NOT_ALLOWED', 'a store not served, whatever the origin')
})
