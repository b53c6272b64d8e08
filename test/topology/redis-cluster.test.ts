// The session behaviour on a real 3-master Redis Cluster: every script stays in one slot, keys spread
// over the masters, and a store-wide revocation reaches every master.
import t from 'tap'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { keys } from '../../src/store/keys.js'
import { testConfig, waitReady, STORE } from '../support/app.js'
import { exchange, getSession, sessionCookieOf, signIn, endSession } from '../support/session.js'
import { token } from '../support/tokens.js'
import { startRedisCluster } from '../support/redis-cluster.js'

const cluster = await startRedisCluster()
t.teardown(() => cluster.close())

const OTHER_STORE = 'xyz789'
const OTHER_ORIGIN = 'https://store-xyz789.mybigcommerce.com'

async function clusterApp (t: { teardown: (fn: () => unknown) => void }, env: Record<string,
  string> = {}): Promise<FastifyInstance> {
  const app = buildApp(testConfig({ REDIS_CLUSTER_NODES: cluster.seeds, ...env }), { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  await waitReady(app)
  return app
}

/** Session keys on each master, in port order. */
async function sessionKeysPerNode (): Promise<string[][]> {
  return await Promise.all(cluster.clients.map(async (c) => await c.keys('bcx:*:s:*')))
}
const total = (perNode: string[][]): number => perNode.reduce((n, k) => n + k.length, 0)

async function flushAll (): Promise<void> {
  await Promise.all(cluster.clients.map(async (c) => await c.flushall()))
}

t.beforeEach(flushAll)

t.test('exchange, read, replay, end: the whole flow on the Cluster', async (t) => {
  const app = await clusterApp(t)
  const jwt = await token({ customerId: 31 })
  const created = await exchange(app, jwt)
  t.equal(created.statusCode, 201)
  t.same(created.json().customer.id, 31)
  const cookie = sessionCookieOf(created) as string
  t.equal(total(await sessionKeysPerNode()), 1)

  const read = await getSession(app, cookie)
  t.equal(read.statusCode, 200)
  t.equal(read.json().store_hash, STORE)

  const replay = await exchange(app, jwt)
  t.equal(replay.statusCode, 409)
  t.equal(replay.json().code, 'BCX_TOKEN_REPLAYED')
  t.equal(replay.headers['set-cookie'], undefined)
  t.equal(total(await sessionKeysPerNode()), 1, 'the replay wrote no session')

  const ended = await endSession(app, cookie)
  t.equal(ended.statusCode, 204)
  t.equal(total(await sessionKeysPerNode()), 0)
  const after = await getSession(app, cookie)
  t.equal(after.statusCode, 401)
  t.equal(after.json().code, 'BCX_UNAUTHENTICATED')
})

t.test('keys spread over the masters; each customer\'s keys share one slot', async (t) => {
  const app = await clusterApp(t)
  const customers = Array.from({ length: 40 }, (_, i) => 1000 + i)
  for (const id of customers) {
    const res = await exchange(app, await token({ customerId: id }))
    t.equal(res.statusCode, 201, `customer ${id}`)
  }
  const perNode = await sessionKeysPerNode()
  t.equal(total(perNode), customers.length)
  t.ok(perNode.every((k) => k.length > 0), `every master holds sessions: ${perNode.map((k) => k.length).join('/')}`)

  // Every key a script touches (declared or built from a declared one) hashes to the customer's slot.
  const probe = cluster.clients[0]
  if (probe === undefined) throw new Error('no node')
  for (const id of customers.slice(0, 5)) {
    const scriptKeys = [
      keys.guard(STORE, id, 'fingerprint'), keys.customerCutoff(STORE, id), keys.index(STORE, id),
      `${keys.sessionPrefix(STORE, id)}member`
    ]
    const slots = new Set(await Promise.all(scriptKeys.map(async (k) => await probe.cluster('KEYSLOT', k))))
    t.equal(slots.size, 1, `customer ${id}: one slot for all script keys`)
  }
  // The customers' keys; the store's own (its origin table, its cutoff) carry the store's tag alone.
  const allKeys = (await Promise.all(cluster.clients.map(async (c) => await c.keys('bcx:*')))).flat().filter((k) =>
    /^bcx:\{[^}:]+:[^}]+\}/.test(k))
  const slotsByTag = new Map<string, Set<number>>()
  for (const key of allKeys) {
    const tag = /\{[^}]+\}/.exec(key)?.[0] as string
    const set = slotsByTag.get(tag) ?? new Set<number>()
    set.add(await probe.cluster('KEYSLOT', key) as number)
    slotsByTag.set(tag, set)
  }
  t.equal(slotsByTag.size, customers.length, 'one hash tag per customer')
  t.ok([...slotsByTag.values()].every((s) => s.size === 1), 'no customer spans two slots')
})

/**
 * Sessions of customers 1..count of STORE and one of customer 1 at OTHER_STORE, from tokens issued at
 * `iat`; asserts the store's sessions landed on several masters, so a store-wide step must reach each.
 */
async function spreadSessions (t: Test, app: FastifyInstance, count: number, iat: number):
Promise<{ cookies: Map<number, string>, otherCookie: string }> {
  const cookies = new Map<number, string>()
  for (let id = 1; id <= count; id++) cookies.set(id, (await signIn(app, { customerId: id, iat })).cookie)
  const { cookie: otherCookie } =
    await signIn(app, { customerId: 1, storeHash: OTHER_STORE, iat, origin: OTHER_ORIGIN })
  t.ok((await sessionKeysPerNode()).filter((k) => k.length > 0).length >= 2,
    'the store\'s sessions live on several masters')
  return { cookies, otherCookie }
}

t.test('revokeCustomerSessions and revokeStoreSessions on the Cluster: the store-wide one reaches every master',
  async (t) => {
    const app = await clusterApp(t)
    const old = Math.floor(Date.now() / 1000) - 20
    const { cookies, otherCookie } = await spreadSessions(t, app, 24, old)

    // A stale token of customer 1 (issued before the cutoff) kept for after the revocation.
    const staleToken = await token({ customerId: 1, iat: old })
    const cutoff = old + 5
    t.equal(await app.sessionStore.revokeCustomerSessions(STORE, 1, cutoff), 1)
    t.equal((await getSession(app, cookies.get(1))).statusCode, 401)
    t.equal((await getSession(app, cookies.get(2))).statusCode, 200, 'other customers keep their sessions')
    const refused = await exchange(app, staleToken)
    t.equal(refused.statusCode, 401)
    t.equal(refused.json().code, 'BCX_TOKEN_REVOKED')
    const fresh = await exchange(app, await token({ customerId: 1 }))
    t.equal(fresh.statusCode, 201, 'a token issued after the cutoff is accepted')

    const revoked = await app.sessionStore.revokeStoreSessions(STORE, cutoff)
    t.equal(revoked, 23, 'every remaining session of the store issued before the cutoff, across all masters')
    for (let id = 2; id <= 24; id++) t.equal((await getSession(app, cookies.get(id))).statusCode, 401, `customer ${id}`)
    t.equal((await getSession(app, sessionCookieOf(fresh))).statusCode, 200, 'the session from after the cutoff stays')
    t.equal((await getSession(app, otherCookie, OTHER_ORIGIN)).statusCode, 200, 'another store is untouched')
    const staleOfStore = await exchange(app, await token({ customerId: 77, iat: old }))
    t.equal(staleOfStore.statusCode, 401)
    t.equal(staleOfStore.json().code, 'BCX_TOKEN_REVOKED')
    t.equal(total(await sessionKeysPerNode()), 2, 'only the two live sessions remain')
  })

t.test('an admin revocation on the Cluster ends every live session, tokens issued ahead of the cutoff included',
  async (t) => {
    const ADMIN_TOKEN = 'admin-token-0123456789-abcdefghij'
    const app = await clusterApp(t, { ADMIN_TOKEN })
    const ahead = Math.floor(Date.now() / 1000) + 30
    const { cookies, otherCookie: otherStore } = await spreadSessions(t, app, 12, ahead)
    const status = async (id: number): Promise<number> => (await getSession(app, cookies.get(id))).statusCode

    const now = Math.floor(Date.now() / 1000)
    t.equal(await app.sessionStore.revokeStoreSessions(STORE, now, 'issued'), 0,
      'created_at semantics spare tokens issued after the cutoff')
    const revoke = async (query: string) =>
      await app.inject({
        method: 'DELETE',
        url: `/admin/sessions${query}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
      })

    const one = await revoke(`?store_hash=${STORE}&customer_id=1`)
    t.equal(one.statusCode, 200)
    t.same(one.json(), { revoked: 1 })
    t.equal(await status(1), 401)
    t.equal(await status(2), 200, 'other customers keep theirs')

    const all = await revoke(`?store_hash=${STORE}`)
    t.equal(all.statusCode, 200)
    t.same(all.json(), { revoked: 11 }, 'every remaining session of the store, across all masters')
    for (let id = 2; id <= 12; id++) t.equal(await status(id), 401, `customer ${id}`)
    t.equal((await getSession(app, otherStore, OTHER_ORIGIN)).statusCode, 200, 'another store is untouched')
    const refused = await exchange(app, await token({ customerId: 77, iat: now }))
    t.equal(refused.statusCode, 401)
    t.equal(refused.json().code, 'BCX_TOKEN_REVOKED', 'a token issued at or before the cutoff is refused')
    t.equal(total(await sessionKeysPerNode()), 1, 'only the other store\'s session remains')
  })

t.test('the per-customer cap on the Cluster ends the session created first, whatever its token\'s iat', async (t) => {
  const app = await clusterApp(t, { SESSION_MAX_PER_CUSTOMER: '3' })
  const start = Math.floor(Date.now() / 1000)
  const cookies: string[] = []
  for (let i = 0; i < 4; i++) {
    cookies.push((await signIn(app, { customerId: 41, iat: start - i * 60 })).cookie)
  }
  t.same(await Promise.all(cookies.map(async (c) => (await getSession(app, c)).statusCode)), [401, 200, 200, 200])
})
