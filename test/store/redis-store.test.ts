// What only the Redis store does, beside the contract both stores keep (contract.test.ts): where it
// keeps things (one hash tag per customer, expiring index and cutoffs, no per-store set), store-wide
// revocation through SCAN, the index scored by creation time, and values of the layout before.
import t from 'tap'
import type { Test } from 'tap'
import { Redis } from 'ioredis'
import { createRedisSessionStore } from '../../src/store/redis-store.js'
import { keys } from '../../src/store/keys.js'
import type { SessionStore } from '../../src/store/contract.js'
import { newSessionId } from '../../src/session/ids.js'
import { originTag, sessionHandle } from '../../src/store/session-id.js'
import { ORIGIN, startRedis } from '../support/app.js'
import { IDLE_MS, isLive as live, openSession, TOKEN_LIFETIME_SECONDS as LIFETIME } from '../support/session-store.js'
import { nowSeconds as now } from '../support/tokens.js'

const redis = await startRedis(t)

/** The store on this file's own redis-server, emptied first (the layout tests look at every key). */
async function redisStore (t: Test): Promise<{ store: SessionStore, client: Redis }> {
  await redis.client.flushall()
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  return { store: createRedisSessionStore(client, { tokenLifetimeSeconds: LIFETIME }), client }
}

/** A session of `customerId` at `storeHash` from a token issued at `iat`; its id, or the refusal. */
const open = async (store: SessionStore, storeHash: string, customerId: number, iat: number, maxPerCustomer = 10):
Promise<string> => await openSession(store, { storeHash, customerId, iat, maxPerCustomer })

t.test('redis: a session key is its customer\'s hash tag and the session\'s handle', async (t) => {
  const parts = { storeHash: 'abc123', customerId: 4927, absoluteAt: 1_800_000_000_000 }
  // The handle of 'x' is pinned in ids.test.ts: a change of either layout is seen.
  t.equal(keys.session(parts, 'x'), `bcx:{abc123:4927}:s:${sessionHandle('x')}`)
})

t.test('redis: key layout — per-customer index in the hash tag, expiring; no per-store set; cutoffs expire',
  async (t) => {
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
    t.ok(all.every((k) =>
      /^bcx:\{abc123:[78]\}:/.test(k) ||
      k === keys.storeOrigins('abc123')), `every key sits in a customer's hash tag: ${all.join(', ')}`)
    t.same(await client.hgetall(keys.storeOrigins('abc123')), { [originTag(ORIGIN)]: ORIGIN }, 'one origin, one field')

    await store.revokeCustomerSessions('abc123', 7, cutoff)
    await store.revokeStoreSessions('abc123', cutoff)
    const customerCutoffTtl = await client.pttl(keys.customerCutoff('abc123', 7))
    const storeCutoffTtl = await client.pttl(keys.storeCutoff('abc123'))
    t.ok(customerCutoffTtl > 0 && customerCutoffTtl <= LIFETIME * 1000,
      `customer cutoff expires (${customerCutoffTtl})`)
    t.ok(storeCutoffTtl > 0 && storeCutoffTtl <= LIFETIME * 1000, `store cutoff expires (${storeCutoffTtl})`)
    t.equal(await client.get(keys.storeCutoff('abc123')), String(cutoff))
    const remaining = await client.keys('bcx:*')
    t.ok(remaining.every((k) => k.endsWith(':c') || k.includes(':g:') || k.endsWith(':i') || k.endsWith('}:o')),
    `no session key left: ${remaining.join(', ')}`)
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

t.test('redis: the index is scored by creation time (ms, strictly increasing); the value keeps the token iat',
  async (t) => {
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

t.test('redis: sessions written before the iat moved to the value (index scored by iat) revoke by iat, cap first',
  async (t) => {
    const { store, client } = await redisStore(t)
    const cutoff = now()
    const index = keys.index('abc123', 7)
    /** A session as the previous layout wrote it: lower-case kind, no iat in the value, the iat as its score. */
    async function legacy (iat: number): Promise<string> {
      const absoluteAt = Math.floor(Date.now() / 1000 + 3600) * 1000
      const sid = newSessionId({ storeHash: 'abc123', customerId: 7, absoluteAt })
      await client.set(keys.session({ storeHash: 'abc123', customerId: 7, absoluteAt }, sid),
      `${originTag(ORIGIN)}na@b`, 'PX', 3600_000)
      await client.zadd(index, iat, sessionHandle(sid))
      return sid
    }
    const oldEarly = await legacy(cutoff - 60)
    const oldLate = await legacy(cutoff + 20)
    t.same((await store.read(oldEarly, IDLE_MS))?.record.customer,
      { id: 7, email: 'a@b', groupId: null, storeHash: 'abc123' }, 'an old value still reads')
    const fresh = await open(store, 'abc123', 7, cutoff - 120)

    t.equal(await store.revokeCustomerSessions('abc123', 7, cutoff, 'issued'), 2,
      'the old one issued before the cutoff, by its score; the new one by its value')
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
