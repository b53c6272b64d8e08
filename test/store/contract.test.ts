// The contract every session store keeps (src/store/contract.ts), run against each store alike: the
// in-process one, one redis-server, and a 3-master Redis Cluster. Sessions are made and read straight
// in the store, as the session rules do. What only the Redis store does (its key layout, its scripts,
// values of older formats) is in redis-store.test.ts.
import t from 'tap'
import type { Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { Cluster, Redis } from 'ioredis'
import type { SessionStore } from '../../src/store/contract.js'
import { createMemorySessionStore } from '../../src/store/memory-store.js'
import { createRedisSessionStore } from '../../src/store/redis-store.js'
import { keys } from '../../src/store/keys.js'
import { newSessionId } from '../../src/session/ids.js'
import { originTag, sessionHandle } from '../../src/store/session-id.js'
import { ORIGIN, OTHER_ORIGIN, startRedis, STORE } from '../support/app.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { IDLE_MS, isLive, listedHandles, openSession, TOKEN_LIFETIME_SECONDS } from '../support/session-store.js'
import { nowSeconds as now } from '../support/tokens.js'

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0'

interface Target {
  store: SessionStore
  /**
   * Where the store keeps an index beside its sessions: index members without their session, and
   * sessions outside the index, of customer 3 of STORE.
   */
  mismatches?: () => Promise<string[]>
}

/** Index members without a session key, and session keys without an index member, of customer 3. */
function indexMismatches (client: Pick<Redis, 'zrange' | 'exists'>, sessionKeys: () => Promise<string[]>) {
  return async (): Promise<string[]> => {
    const members = await client.zrange(keys.index(STORE, 3), 0, -1)
    const prefix = keys.sessionPrefix(STORE, 3)
    const out: string[] = []
    for (const m of members) if (await client.exists(prefix + m) === 0) out.push(`index only: ${m}`)
    for (const k of await sessionKeys()) if (!members.includes(k.slice(prefix.length))) out.push(`session only: ${k}`)
    return out
  }
}

const redis = await startRedis(t)
const cluster = await startRedisCluster()
t.teardown(() => cluster.close())
const sessionKeysOf3 = `${keys.sessionPrefix(STORE, 3)}*`

/** Each store, made fresh with nothing in it. */
const targets: Record<string, (t: Test) => Promise<Target>> = {
  memory: async () => ({ store: createMemorySessionStore({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS }) }),
  // One server for the file, private to it: emptied before each test.
  redis: async (t) => {
    await redis.client.flushall()
    const client = new Redis(redis.url)
    t.teardown(() => client.disconnect())
    return {
      store: createRedisSessionStore(client, { tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS }),
      mismatches: indexMismatches(client, async () => await client.keys(sessionKeysOf3))
    }
  },
  cluster: async (t) => {
    await Promise.all(cluster.clients.map(async (c) => await c.flushall()))
    const client =
      new Cluster(cluster.seeds.split(',').map((s) => ({ host: s.split(':')[0], port: Number(s.split(':')[1]) })))
    t.teardown(() => client.disconnect())
    // Session keys live on whichever master their customer's hash tag falls on.
    const sessionKeys = async (): Promise<string[]> =>
      (await Promise.all(cluster.clients.map(async (c) => await c.keys(sessionKeysOf3)))).flat()
    return {
      store: createRedisSessionStore(client, { tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS }),
      mismatches: indexMismatches(client, sessionKeys)
    }
  }
}

for (const [kind, make] of Object.entries(targets)) {
  t.test(`${kind}: a session reads back as it was made, and each read slides its idle deadline`, async (t) => {
    const { store } = await make(t)
    const absoluteAt = Math.floor(Date.now() / 1000 + 3600) * 1000
    const sid = await openSession(store, { customerId: 7, userAgent: FIREFOX_WINDOWS, absoluteAt })
    const read = await store.read(sid, IDLE_MS)
    t.match(read?.record, {
      customer: { id: 7, email: 'c7@example.com', groupId: null, storeHash: STORE },
      originTag: originTag(ORIGIN),
      absoluteAt,
      agent: { browser: 'f', os: 'w' }
    })
    t.ok((read?.expiresAt ?? 0) > Date.now() + IDLE_MS / 2, 'the idle deadline is ahead')
    const short = await store.read(sid, 2000)
    t.ok((short?.expiresAt ?? Infinity) <= Date.now() + 2000, 'a read sets the deadline its idle timeout says')
    t.equal(await store.read(newSessionId({ storeHash: STORE, customerId: 7, absoluteAt }), IDLE_MS), null,
      'an id never exchanged')
    t.equal(await store.read('not a session id', IDLE_MS), null, 'a malformed id')
  })

  t.test(`${kind}: a session unread for its idle timeout ends; one in use ends at its absolute deadline`, async (t) => {
    const { store } = await make(t)
    // The first call also opens the store's connection: the deadline below is counted from after it.
    const idle = await openSession(store, { idleMs: 300 })
    // A whole second (ids carry seconds) at least three seconds ahead: time enough for a slow machine.
    const absoluteAt = (now() + 4) * 1000
    const used = await openSession(store, { customerId: 8, absoluteAt })
    const read = await store.read(used, IDLE_MS)
    t.not(read, null, 'live before its deadline')
    // The answer's deadline is reckoned once the store has answered, so it may pass the true one by that
    // round trip; a deadline slid by the idle timeout would be a minute away.
    t.ok((read?.expiresAt ?? Infinity) <= absoluteAt + 1000, 'a read never slides past the absolute deadline')
    await sleep(700)
    t.equal(await store.read(idle, IDLE_MS), null, 'idle past its timeout')
    while (Date.now() < absoluteAt + 200) {
      await store.read(used, IDLE_MS)
      await sleep(100)
    }
    t.equal(await store.read(used, IDLE_MS), null, 'past its absolute deadline, however often read')
  })

  t.test(`${kind}: a token is exchanged once: its fingerprint again is a replay, under any session id`, async (t) => {
    const { store } = await make(t)
    const absoluteAt = Math.floor(Date.now() / 1000 + 3600) * 1000
    const input = (sid: string) => ({
      sid,
      record: {
        customer: { id: 9, email: 'a@b', groupId: null, storeHash: STORE },
        origin: ORIGIN,
        iat: now(),
        absoluteAt
      },
      fingerprint: 'one-token',
      guardTtlMs: 60_000,
      idleMs: IDLE_MS,
      maxPerCustomer: 10
    })
    const first = newSessionId({ storeHash: STORE, customerId: 9, absoluteAt })
    const second = newSessionId({ storeHash: STORE, customerId: 9, absoluteAt })
    t.equal(await store.exchange(input(first)), 'created')
    t.equal(await store.exchange(input(second)), 'replayed')
    t.equal(await store.read(second, IDLE_MS), null, 'the replay made no session')
    t.same(await listedHandles(store, 9), [sessionHandle(first)])
  })

  t.test(`${kind}: destroy ends a session for its own origin only; then it is missing`, async (t) => {
    const { store } = await make(t)
    const sid = await openSession(store)
    t.equal(await store.destroy(sid, OTHER_ORIGIN), 'foreign')
    t.ok(await isLive(store, sid), 'another origin ends nothing')
    t.equal(await store.destroy(sid, ORIGIN), 'destroyed')
    t.notOk(await isLive(store, sid))
    t.same(await listedHandles(store, 4927), [], 'gone from the listing too')
    t.equal(await store.destroy(sid, ORIGIN), 'missing')
    t.equal(await store.destroy('not a session id'), 'missing')
    const unbound = await openSession(store)
    t.equal(await store.destroy(unbound), 'destroyed', 'without an origin: whatever the session\'s')
  })

  t.test(`${kind}: revokeCustomerSessions ends sessions issued by the cutoff, keeps later ones, refuses old tokens`,
    async (t) => {
      const { store } = await make(t)
      const cutoff = now() - 10
      const open = async (customerId: number, iat: number, storeHash = STORE): Promise<string> =>
        await openSession(store, { storeHash, customerId, iat })
      const old1 = await open(7, cutoff - 100)
      const old2 = await open(7, cutoff)
      const later = await open(7, cutoff + 1)
      const otherCustomer = await open(8, cutoff - 100)
      const otherStore = await open(7, cutoff - 100, 'xyz789')

      t.equal(await store.revokeCustomerSessions(STORE, 7, cutoff), 2)
      t.notOk(await isLive(store, old1))
      t.notOk(await isLive(store, old2), 'iat equal to the cutoff is revoked')
      t.ok(await isLive(store, later))
      t.ok(await isLive(store, otherCustomer), 'another customer is untouched')
      t.ok(await isLive(store, otherStore), 'the same customer id of another store is untouched')

      t.equal(await open(7, cutoff), 'revoked')
      t.equal(await open(7, cutoff - 5), 'revoked')
      t.match(await open(7, cutoff + 1), /^abc123\.7\./, 'a token issued after the cutoff opens a session')
      t.match(await open(8, cutoff - 5), /^abc123\.8\./)

      t.equal(await store.revokeCustomerSessions(STORE, 7, cutoff), 0, 'a retry changes nothing')
      t.ok(await isLive(store, later))
      t.equal(await store.revokeCustomerSessions(STORE, 7, cutoff - 50), 0, 'an older cutoff never lowers the kept one')
      t.equal(await open(7, cutoff - 1), 'revoked')
    })

  t.test(`${kind}: revokeStoreSessions ends every session of the store and refuses its older tokens`, async (t) => {
    const { store } = await make(t)
    const cutoff = now()
    const sids = []
    for (let c = 1; c <= 25; c++) sids.push(await openSession(store, { customerId: c, iat: cutoff - 30 }))
    const later = await openSession(store, { customerId: 99, iat: cutoff + 1 })
    const otherStore = await openSession(store, { storeHash: 'abc1234', customerId: 1, iat: cutoff - 30 })

    t.equal(await store.revokeStoreSessions(STORE, cutoff), 25)
    for (const sid of sids) t.notOk(await isLive(store, sid))
    t.ok(await isLive(store, later), 'a session from a later token stays')
    t.ok(await isLive(store, otherStore), 'a store whose hash starts the same is untouched')
    t.equal(await openSession(store, { customerId: 500, iat: cutoff }), 'revoked',
      'a customer with no session yet is covered by the store cutoff')
    t.match(await openSession(store, { customerId: 500, iat: cutoff + 1 }), /^abc123\.500\./)
    t.equal(await store.revokeStoreSessions(STORE, cutoff), 0, 'a retry changes nothing')
  })

  t.test(`${kind}: 'all' ends every live session, a token's iat ahead of the cutoff included; 'issued' spares it`,
    async (t) => {
      const { store } = await make(t)
      const cutoff = now()
      const ahead = await openSession(store, { customerId: 7, iat: cutoff + 30 })
      const past = await openSession(store, { customerId: 7, iat: cutoff - 30 })
      const aheadOther = await openSession(store, { customerId: 8, iat: cutoff + 30 })
      const otherStore = await openSession(store, { storeHash: 'xyz789', customerId: 7, iat: cutoff + 30 })

      t.equal(await store.revokeCustomerSessions(STORE, 7, cutoff, 'issued'), 1,
        'created_at semantics: only the token issued by the cutoff')
      t.ok(await isLive(store, ahead), 'the session of a token issued after created_at stays')
      t.notOk(await isLive(store, past))

      t.equal(await store.revokeCustomerSessions(STORE, 7, cutoff, 'all'), 1)
      t.notOk(await isLive(store, ahead), 'an admin revocation ends it')
      t.ok(await isLive(store, aheadOther), 'another customer is untouched')
      t.equal(await openSession(store, { customerId: 7, iat: cutoff }), 'revoked',
        'a token issued at the cutoff is still refused')
      t.match(await openSession(store, { customerId: 7, iat: cutoff + 31 }), /^abc123\.7\./,
        'a token issued after the cutoff opens a session')

      t.equal(await store.revokeStoreSessions(STORE, cutoff, 'issued'), 0, 'created_at semantics spare both')
      t.equal(await store.revokeStoreSessions(STORE, cutoff, 'all'), 2,
        'every live session of the store: customer 8 and the new one of 7')
      t.notOk(await isLive(store, aheadOther))
      t.ok(await isLive(store, otherStore), 'another store is untouched')
      t.equal(await openSession(store, { customerId: 500, iat: cutoff - 1 }), 'revoked')
      t.equal(await store.revokeStoreSessions(STORE, cutoff, 'all'), 0, 'nothing left to end')
    })

  t.test(`${kind}: the cap ends the session created longest ago, whatever its token's iat`, async (t) => {
    const { store } = await make(t)
    const start = now()
    const sids: string[] = []
    const alive = async (): Promise<boolean[]> => await Promise.all(sids.map(async (sid) => await isLive(store, sid)))
    // Decreasing iat: each token was fetched earlier than the one before, yet exchanged later.
    for (let i = 0; i < 4; i++) {
      sids.push(await openSession(store,
        { customerId: 7, iat: start - i * 60, maxPerCustomer: 3 }))
    }
    t.same(await alive(), [false, true, true, true], 'the first one created is the one gone')
    sids.push(await openSession(store, { customerId: 7, iat: start + 30, maxPerCustomer: 3 }))
    t.same(await alive(), [false, false, true, true, true])
    t.equal(await store.revokeCustomerSessions(STORE, 7, start - 150, 'issued'), 1,
      'revocation by created_at still compares the token iat')
    t.same(await alive(), [false, false, true, false, true],
      'the token of iat start - 180 was the only one at or before the cutoff')
  })

  t.test(`${kind}: a cutoff too old to matter ends sessions but keeps no cutoff`, async (t) => {
    const { store } = await make(t)
    const ancient = now() - 2 * TOKEN_LIFETIME_SECONDS
    const sid = await openSession(store, { customerId: 7, iat: ancient - 1 })
    t.equal(await store.revokeCustomerSessions(STORE, 7, ancient), 1)
    t.notOk(await isLive(store, sid))
    t.equal(await store.revokeStoreSessions(STORE, ancient), 0)
  })

  t.test(`${kind}: list, end by handle, end the others`, async (t) => {
    const { store } = await make(t)
    const a = await openSession(store, { customerId: 1, userAgent: FIREFOX_WINDOWS })
    const b = await openSession(store, { customerId: 1 })
    const c = await openSession(store, { customerId: 1 })
    const stranger = await openSession(store, { customerId: 2 })
    const listed = await store.list(STORE, 1)
    t.same(listed.map((s) => s.handle), [a, b, c].map(sessionHandle), 'created longest ago first')
    t.match(listed[0], { origin: ORIGIN, agent: { browser: 'f', os: 'w' } })
    t.match(listed[1], { agent: { browser: '_', os: '_' } }, 'no User-Agent: unknown')
    for (const s of listed) {
      t.ok(s.expiresAt > Date.now() && s.expiresAt <= Date.now() + IDLE_MS + 1000)
      t.ok(s.lastSeenAt !== null && s.lastSeenAt >= s.createdAt)
    }
    t.equal(await store.endByHandle(STORE, 1, sessionHandle(stranger)), false,
      'another customer\'s handle ends nothing')
    t.equal(await store.endByHandle(STORE, 2, 'not a handle!!!!'), false)
    t.equal(await store.endByHandle(STORE, 1, sessionHandle(b)), true)
    t.equal(await store.endByHandle(STORE, 1, sessionHandle(b)), false, 'once')
    t.equal(await store.read(b, IDLE_MS), null)
    t.same(await listedHandles(store, 1), [a, c].map(sessionHandle))
    t.equal(await store.endSessions(STORE, 1, sessionHandle(c)), 1)
    t.same(await listedHandles(store, 1), [sessionHandle(c)])
    t.equal(await store.endSessions(STORE, 1), 1)
    t.same(await listedHandles(store, 1), [])
    t.not(await store.read(stranger, IDLE_MS), null, 'the other customer is untouched')
  })

  t.test(`${kind}: ends racing exchanges and reads leave index and sessions in step`, async (t) => {
    const { store, mismatches } = await make(t)
    const open = async (): Promise<string> => await openSession(store, { customerId: 3, maxPerCustomer: 50 })
    const first = await Promise.all(Array.from({ length: 10 }, open))
    const handleOf = (i: number): string => sessionHandle(first[i % 10] ?? '')
    const work: Array<Promise<unknown>> = []
    for (let i = 0; i < 20; i++) {
      work.push(open(), store.read(first[i % 10] ?? '', IDLE_MS), store.list(STORE, 3))
      if (i % 5 === 0) work.push(store.endSessions(STORE, 3, handleOf(0)))
      if (i % 7 === 0) work.push(store.endByHandle(STORE, 3, handleOf(i)))
    }
    await Promise.all(work)
    for (const s of await store.list(STORE, 3)) t.ok(s.expiresAt > Date.now(), 'every listed session is live')
    if (mismatches !== undefined) {
      t.same(await mismatches(), [],
        'no index entry without its session, no session outside the index')
    }
    await store.endSessions(STORE, 3)
    t.same(await listedHandles(store, 3), [])
    if (mismatches !== undefined) t.same(await mismatches(), [])
  })
}
