// Revocation in both stores: per-customer index inside the hash tag, store-wide by SCAN plus a store
// cutoff, cutoffs compared as `iat <= cutoff`, retries harmless.
import t from 'tap'
import { Redis } from 'ioredis'
import { createRedisSessionStore } from '../../src/store/redis-session-store.js'
import { createMemorySessionStore } from '../../src/store/memory-session-store.js'
import { keys, newSessionId, sessionMember } from '../../src/store/keys.js'
import type { SessionStore } from '../../src/store/session-store.js'
import { startRedis } from '../helper.js'

const IDLE_MS = 60_000
const LIFETIME = 900 + 120
const now = (): number => Math.floor(Date.now() / 1000)
let fingerprints = 0

/** Creates a session as the exchange does; returns its id, or the refusal. */
async function open (store: SessionStore, storeHash: string, customerId: number, iat: number): Promise<string> {
  const absoluteAt = Math.floor(Date.now() / 1000 + 3600) * 1000
  const sid = newSessionId({ storeHash, customerId, absoluteAt })
  const outcome = await store.exchange({
    sid,
    record: { customer: { id: customerId, email: `c${customerId}@example.com`, group_id: null }, storeHash, origin: 'https://a.example', iat, absoluteAt },
    fingerprint: `fp${++fingerprints}`,
    guardTtlMs: 60_000,
    idleMs: IDLE_MS,
    maxPerCustomer: 10
  })
  return outcome === 'created' ? sid : outcome
}

const live = async (store: SessionStore, sid: string): Promise<boolean> => (await store.read(sid, IDLE_MS)) !== null

type Tap = Parameters<typeof startRedis>[0]

async function redisStore (t: Tap): Promise<{ store: SessionStore, client: Redis }> {
  const server = await startRedis(t)
  const client = new Redis(server.url)
  t.teardown(() => client.disconnect())
  return { store: createRedisSessionStore(client, { tokenLifetimeSeconds: LIFETIME }), client }
}

type Make = (t: Tap) => Promise<SessionStore>
const stores: Array<[string, Make]> = [
  ['redis', async (t) => (await redisStore(t)).store],
  ['memory', async () => createMemorySessionStore({ tokenLifetimeSeconds: LIFETIME })]
]

for (const [kind, make] of stores) {
  t.test(`${kind}: revokeCustomer ends sessions issued at or before the cutoff, keeps later ones, refuses old tokens`, async (t) => {
    const store = await make(t)
    const cutoff = now() - 10
    const old1 = await open(store, 'abc123', 7, cutoff - 100)
    const old2 = await open(store, 'abc123', 7, cutoff)
    const later = await open(store, 'abc123', 7, cutoff + 1)
    const otherCustomer = await open(store, 'abc123', 8, cutoff - 100)
    const otherStore = await open(store, 'xyz789', 7, cutoff - 100)

    t.equal(await store.revokeCustomer('abc123', 7, cutoff), 2)
    t.notOk(await live(store, old1))
    t.notOk(await live(store, old2), 'iat equal to the cutoff is revoked')
    t.ok(await live(store, later))
    t.ok(await live(store, otherCustomer), 'another customer is untouched')
    t.ok(await live(store, otherStore), 'the same customer id of another store is untouched')

    t.equal(await open(store, 'abc123', 7, cutoff), 'revoked')
    t.equal(await open(store, 'abc123', 7, cutoff - 5), 'revoked')
    t.match(await open(store, 'abc123', 7, cutoff + 1), /^abc123\.7\./, 'a token issued after the cutoff opens a session')
    t.match(await open(store, 'abc123', 8, cutoff - 5), /^abc123\.8\./)

    t.equal(await store.revokeCustomer('abc123', 7, cutoff), 0, 'a retry changes nothing')
    t.ok(await live(store, later))
    t.equal(await store.revokeCustomer('abc123', 7, cutoff - 50), 0, 'an older cutoff never lowers the kept one')
    t.equal(await open(store, 'abc123', 7, cutoff - 1), 'revoked')
  })

  t.test(`${kind}: revokeStore ends every session of the store and refuses its older tokens`, async (t) => {
    const store = await make(t)
    const cutoff = now()
    const sids = []
    for (let c = 1; c <= 25; c++) sids.push(await open(store, 'abc123', c, cutoff - 30))
    const later = await open(store, 'abc123', 99, cutoff + 1)
    const otherStore = await open(store, 'abc1234', 1, cutoff - 30)

    t.equal(await store.revokeStore('abc123', cutoff), 25)
    for (const sid of sids) t.notOk(await live(store, sid))
    t.ok(await live(store, later), 'a session from a later token stays')
    t.ok(await live(store, otherStore), 'a store whose hash starts the same is untouched')
    t.equal(await open(store, 'abc123', 500, cutoff), 'revoked', 'a customer with no session yet is covered by the store cutoff')
    t.match(await open(store, 'abc123', 500, cutoff + 1), /^abc123\.500\./)
    t.equal(await store.revokeStore('abc123', cutoff), 0, 'a retry changes nothing')
  })

  t.test(`${kind}: a cutoff too old to matter ends sessions but keeps no cutoff`, async (t) => {
    const store = await make(t)
    const ancient = now() - 2 * LIFETIME
    const sid = await open(store, 'abc123', 7, ancient - 1)
    t.equal(await store.revokeCustomer('abc123', 7, ancient), 1)
    t.notOk(await live(store, sid))
    t.equal(await store.revokeStore('abc123', ancient), 0)
  })
}

t.test('redis: key layout — per-customer index in the hash tag, expiring; no per-store set; cutoffs expire', async (t) => {
  const { store, client } = await redisStore(t)
  const cutoff = now()
  await open(store, 'abc123', 7, cutoff - 5)
  await open(store, 'abc123', 8, cutoff - 5)
  const index = keys.index('abc123', 7)
  t.equal(index, 'bcx:{abc123:7}:i')
  const indexTtl = await client.pttl(index)
  t.ok(indexTtl > 0 && indexTtl <= 3600_000, `the index expires with its sessions (pttl ${indexTtl})`)
  const all = (await client.keys('*')).sort()
  t.ok(all.every((k) => /^bcx:\{abc123:[78]\}:/.test(k)), `every key sits in a customer's hash tag: ${all.join(', ')}`)

  await store.revokeCustomer('abc123', 7, cutoff)
  await store.revokeStore('abc123', cutoff)
  const customerCutoffTtl = await client.pttl(keys.customerCutoff('abc123', 7))
  const storeCutoffTtl = await client.pttl(keys.storeCutoff('abc123'))
  t.ok(customerCutoffTtl > 0 && customerCutoffTtl <= LIFETIME * 1000, `customer cutoff expires (${customerCutoffTtl})`)
  t.ok(storeCutoffTtl > 0 && storeCutoffTtl <= LIFETIME * 1000, `store cutoff expires (${storeCutoffTtl})`)
  t.equal(await client.get(keys.storeCutoff('abc123')), String(cutoff))
  const remaining = await client.keys('bcx:*')
  t.ok(remaining.every((k) => k.endsWith(':c') || k.includes(':g:') || k.endsWith(':i')), `no session key left: ${remaining.join(', ')}`)
})

t.test('redis: store-wide revocation walks many customers through SCAN', async (t) => {
  const { store, client } = await redisStore(t)
  const cutoff = now()
  const pipeline = client.pipeline()
  // 2500 customers: more than one SCAN page (COUNT 1000).
  const total = 2500
  for (let c = 1; c <= total; c++) {
    const absoluteAt = Math.floor(Date.now() / 1000 + 3600) * 1000
    const sid = newSessionId({ storeHash: 'big1', customerId: c, absoluteAt })
    const member = sessionMember(sid)
    pipeline.set(keys.session({ storeHash: 'big1', customerId: c, absoluteAt }, sid), '{}', 'PX', 3600_000)
    pipeline.zadd(keys.index('big1', c), cutoff - 1, member)
  }
  await pipeline.exec()
  await open(store, 'other', 1, cutoff - 1)
  t.equal(await store.revokeStore('big1', cutoff), total)
  t.equal((await client.keys('bcx:{big1:*}:s:*')).length, 0)
  t.equal((await client.keys('bcx:{other:*}:s:*')).length, 1)
})
