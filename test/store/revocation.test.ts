// Revocation in both stores: per-customer index inside the hash tag, store-wide by SCAN plus a store
// cutoff, cutoffs compared as `iat <= cutoff`, retries harmless; 'all' ends every live session whatever
// its iat. The per-customer cap ends the session created longest ago, whatever its token's iat.
import t from 'tap'
import { Redis } from 'ioredis'
import { createRedisSessionStore } from '../../src/store/redis-store.js'
import { createMemorySessionStore } from '../../src/store/memory-store.js'
import { keys } from '../../src/store/keys.js'
import { newSessionId, originTag, sessionHandle } from '../../src/session/ids.js'
import type { SessionStore } from '../../src/store/contract.js'
import { startRedis } from '../support/app.js'

const IDLE_MS = 60_000
const LIFETIME = 900 + 120
const now = (): number => Math.floor(Date.now() / 1000)
let fingerprints = 0

/** Creates a session as the exchange does; returns its id, or the refusal. */
async function open (store: SessionStore, storeHash: string, customerId: number, iat: number, maxPerCustomer = 10): Promise<string> {
  const absoluteAt = Math.floor(Date.now() / 1000 + 3600) * 1000
  const sid = newSessionId({ storeHash, customerId, absoluteAt })
  const outcome = await store.exchange({
    sid,
    record: { customer: { id: customerId, email: `c${customerId}@example.com`, groupId: null, storeHash }, origin: 'https://a.example', iat, absoluteAt },
    fingerprint: `fp${++fingerprints}`,
    guardTtlMs: 60_000,
    idleMs: IDLE_MS,
    maxPerCustomer
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
  t.test(`${kind}: revokeCustomerSessions ends sessions issued at or before the cutoff, keeps later ones, refuses old tokens`, async (t) => {
    const store = await make(t)
    const cutoff = now() - 10
    const old1 = await open(store, 'abc123', 7, cutoff - 100)
    const old2 = await open(store, 'abc123', 7, cutoff)
    const later = await open(store, 'abc123', 7, cutoff + 1)
    const otherCustomer = await open(store, 'abc123', 8, cutoff - 100)
    const otherStore = await open(store, 'xyz789', 7, cutoff - 100)

    t.equal(await store.revokeCustomerSessions('abc123', 7, cutoff), 2)
    t.notOk(await live(store, old1))
    t.notOk(await live(store, old2), 'iat equal to the cutoff is revoked')
    t.ok(await live(store, later))
    t.ok(await live(store, otherCustomer), 'another customer is untouched')
    t.ok(await live(store, otherStore), 'the same customer id of another store is untouched')

    t.equal(await open(store, 'abc123', 7, cutoff), 'revoked')
    t.equal(await open(store, 'abc123', 7, cutoff - 5), 'revoked')
    t.match(await open(store, 'abc123', 7, cutoff + 1), /^abc123\.7\./, 'a token issued after the cutoff opens a session')
    t.match(await open(store, 'abc123', 8, cutoff - 5), /^abc123\.8\./)

    t.equal(await store.revokeCustomerSessions('abc123', 7, cutoff), 0, 'a retry changes nothing')
    t.ok(await live(store, later))
    t.equal(await store.revokeCustomerSessions('abc123', 7, cutoff - 50), 0, 'an older cutoff never lowers the kept one')
    t.equal(await open(store, 'abc123', 7, cutoff - 1), 'revoked')
  })

  t.test(`${kind}: revokeStoreSessions ends every session of the store and refuses its older tokens`, async (t) => {
    const store = await make(t)
    const cutoff = now()
    const sids = []
    for (let c = 1; c <= 25; c++) sids.push(await open(store, 'abc123', c, cutoff - 30))
    const later = await open(store, 'abc123', 99, cutoff + 1)
    const otherStore = await open(store, 'abc1234', 1, cutoff - 30)

    t.equal(await store.revokeStoreSessions('abc123', cutoff), 25)
    for (const sid of sids) t.notOk(await live(store, sid))
    t.ok(await live(store, later), 'a session from a later token stays')
    t.ok(await live(store, otherStore), 'a store whose hash starts the same is untouched')
    t.equal(await open(store, 'abc123', 500, cutoff), 'revoked', 'a customer with no session yet is covered by the store cutoff')
    t.match(await open(store, 'abc123', 500, cutoff + 1), /^abc123\.500\./)
    t.equal(await store.revokeStoreSessions('abc123', cutoff), 0, 'a retry changes nothing')
  })

  t.test(`${kind}: 'all' ends every live session, a token's iat ahead of the cutoff included; 'issued' spares it`, async (t) => {
    const store = await make(t)
    const cutoff = now()
    const ahead = await open(store, 'abc123', 7, cutoff + 30)
    const past = await open(store, 'abc123', 7, cutoff - 30)
    const aheadOther = await open(store, 'abc123', 8, cutoff + 30)
    const otherStore = await open(store, 'xyz789', 7, cutoff + 30)

    t.equal(await store.revokeCustomerSessions('abc123', 7, cutoff, 'issued'), 1, 'created_at semantics: only the token issued by the cutoff')
    t.ok(await live(store, ahead), 'the session of a token issued after created_at stays')
    t.notOk(await live(store, past))

    t.equal(await store.revokeCustomerSessions('abc123', 7, cutoff, 'all'), 1)
    t.notOk(await live(store, ahead), 'an admin revocation ends it')
    t.ok(await live(store, aheadOther), 'another customer is untouched')
    t.equal(await open(store, 'abc123', 7, cutoff), 'revoked', 'a token issued at the cutoff is still refused')
    t.match(await open(store, 'abc123', 7, cutoff + 31), /^abc123\.7\./, 'a token issued after the cutoff opens a session')

    t.equal(await store.revokeStoreSessions('abc123', cutoff, 'issued'), 0, 'created_at semantics spare both')
    t.equal(await store.revokeStoreSessions('abc123', cutoff, 'all'), 2, 'every live session of the store: customer 8 and the new one of 7')
    t.notOk(await live(store, aheadOther))
    t.ok(await live(store, otherStore), 'another store is untouched')
    t.equal(await open(store, 'abc123', 500, cutoff - 1), 'revoked')
    t.equal(await store.revokeStoreSessions('abc123', cutoff, 'all'), 0, 'nothing left to end')
  })

  t.test(`${kind}: the cap ends the session created longest ago, whatever its token's iat`, async (t) => {
    const store = await make(t)
    const start = now()
    const sids: string[] = []
    // Decreasing iat: each token was fetched earlier than the one before, yet exchanged later.
    for (let i = 0; i < 4; i++) sids.push(await open(store, 'abc123', 7, start - i * 60, 3))
    t.same(await Promise.all(sids.map(async (sid) => await live(store, sid))), [false, true, true, true], 'the first one created is the one gone')
    sids.push(await open(store, 'abc123', 7, start + 30, 3))
    t.same(await Promise.all(sids.map(async (sid) => await live(store, sid))), [false, false, true, true, true])
    t.equal(await store.revokeCustomerSessions('abc123', 7, start - 150, 'issued'), 1, 'revocation by created_at still compares the token iat')
    t.same(await Promise.all(sids.map(async (sid) => await live(store, sid))), [false, false, true, false, true], 'the token of iat start - 180 was the only one at or before the cutoff')
  })

  t.test(`${kind}: a cutoff too old to matter ends sessions but keeps no cutoff`, async (t) => {
    const store = await make(t)
    const ancient = now() - 2 * LIFETIME
    const sid = await open(store, 'abc123', 7, ancient - 1)
    t.equal(await store.revokeCustomerSessions('abc123', 7, ancient), 1)
    t.notOk(await live(store, sid))
    t.equal(await store.revokeStoreSessions('abc123', ancient), 0)
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
  // Besides the store's origin table (origin tag -> origin, for listings): one small hash per store, as
  // large as the store's origins are many, written once per origin by each process.
  t.ok(all.every((k) => /^bcx:\{abc123:[78]\}:/.test(k) || k === keys.storeOrigins('abc123')), `every key sits in a customer's hash tag: ${all.join(', ')}`)
  t.same(await client.hgetall(keys.storeOrigins('abc123')), { [originTag('https://a.example')]: 'https://a.example' }, 'one origin, one field')

  await store.revokeCustomerSessions('abc123', 7, cutoff)
  await store.revokeStoreSessions('abc123', cutoff)
  const customerCutoffTtl = await client.pttl(keys.customerCutoff('abc123', 7))
  const storeCutoffTtl = await client.pttl(keys.storeCutoff('abc123'))
  t.ok(customerCutoffTtl > 0 && customerCutoffTtl <= LIFETIME * 1000, `customer cutoff expires (${customerCutoffTtl})`)
  t.ok(storeCutoffTtl > 0 && storeCutoffTtl <= LIFETIME * 1000, `store cutoff expires (${storeCutoffTtl})`)
  t.equal(await client.get(keys.storeCutoff('abc123')), String(cutoff))
  const remaining = await client.keys('bcx:*')
  t.ok(remaining.every((k) => k.endsWith(':c') || k.includes(':g:') || k.endsWith(':i') || k.endsWith('}:o')), `no session key left: ${remaining.join(', ')}`)
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
    const member = sessionHandle(sid)
    pipeline.set(keys.session({ storeHash: 'big1', customerId: c, absoluteAt }, sid), '{}', 'PX', 3600_000)
    pipeline.zadd(keys.index('big1', c), cutoff - 1, member)
  }
  await pipeline.exec()
  await open(store, 'other', 1, cutoff - 1)
  t.equal(await store.revokeStoreSessions('big1', cutoff), total)
  t.equal((await client.keys('bcx:{big1:*}:s:*')).length, 0)
  t.equal((await client.keys('bcx:{other:*}:s:*')).length, 1)
})

t.test('redis: the index is scored by creation time (ms, strictly increasing); the value keeps the token iat', async (t) => {
  const { store, client } = await redisStore(t)
  const before = Date.now()
  const iats = [now() + 30, now() - 300, now() - 600]
  const sids: string[] = []
  for (const iat of iats) sids.push(await open(store, 'abc123', 7, iat))
  const after = Date.now()
  const entries = await client.zrange(keys.index('abc123', 7), 0, -1, 'WITHSCORES')
  const members = entries.filter((_, i) => i % 2 === 0)
  const scores = entries.filter((_, i) => i % 2 === 1).map(Number)
  t.same(members, sids.map(sessionHandle), 'index order is exchange order, not iat order')
  // The script uses the Redis node's clock: same machine here, so within the test's window (2 s slack).
  t.ok(scores.every((s) => s >= before - 2000 && s <= after + 2000), `creation times in ms: ${scores.join(', ')}`)
  t.ok(scores.every((s, i) => i === 0 || s > (scores[i - 1] as number)), 'strictly increasing')
  for (const [i, sid] of sids.entries()) {
    const value = await client.get(`${keys.sessionPrefix('abc123', 7)}${sessionHandle(sid)}`) as string
    t.equal(parseInt(value.slice(12, 19), 36), iats[i], 'the value carries the token iat')
  }
})

t.test('redis: sessions written before the iat moved to the value (index scored by iat) still revoke by iat and cap first', async (t) => {
  const { store, client } = await redisStore(t)
  const cutoff = now()
  const index = keys.index('abc123', 7)
  /** A session as the previous layout wrote it: lower-case kind, no iat in the value, the iat as its score. */
  async function legacy (iat: number): Promise<string> {
    const absoluteAt = Math.floor(Date.now() / 1000 + 3600) * 1000
    const sid = newSessionId({ storeHash: 'abc123', customerId: 7, absoluteAt })
    await client.set(keys.session({ storeHash: 'abc123', customerId: 7, absoluteAt }, sid), `${originTag('https://a.example')}na@b`, 'PX', 3600_000)
    await client.zadd(index, iat, sessionHandle(sid))
    return sid
  }
  const oldEarly = await legacy(cutoff - 60)
  const oldLate = await legacy(cutoff + 20)
  t.same((await store.read(oldEarly, IDLE_MS))?.record.customer, { id: 7, email: 'a@b', groupId: null, storeHash: 'abc123' }, 'an old value still reads')
  const fresh = await open(store, 'abc123', 7, cutoff - 120)

  t.equal(await store.revokeCustomerSessions('abc123', 7, cutoff, 'issued'), 2, 'the old one issued before the cutoff, by its score; the new one by its value')
  t.notOk(await live(store, oldEarly))
  t.notOk(await live(store, fresh))
  t.ok(await live(store, oldLate), 'an old session from a later token stays')

  // At the cap, the old entry (scored in seconds) sorts before every new one (milliseconds): it was created first.
  const a = await open(store, 'abc123', 7, cutoff + 1, 2)
  t.ok(await live(store, oldLate), 'below the cap nothing ends')
  const b = await open(store, 'abc123', 7, cutoff + 1, 2)
  t.notOk(await live(store, oldLate), 'the old session went first')
  t.ok(await live(store, a))
  t.ok(await live(store, b))
})
