// The session list in the stores: listing, ending by handle, ending the others; atomic with the index
// (no listed session that no longer exists, no session left out of its index), on one Redis and on a
// 3-master Cluster, and the in-process store alike.
import t from 'tap'
import { Redis } from 'ioredis'
import { createRedisSessionStore } from '../../src/store/redis-store.js'
import { createMemorySessionStore } from '../../src/store/memory-store.js'
import { keys } from '../../src/store/keys.js'
import { newSessionId, sessionHandle } from '../../src/session/ids.js'
import type { SessionStore } from '../../src/store/contract.js'
import { agentCodes } from '../../src/lib/user-agent.js'
import { startRedis } from '../support/app.js'
import { startRedisCluster } from '../support/redis-cluster.js'

const IDLE_MS = 60_000
const ORIGIN = 'https://store-abc123.mybigcommerce.com'
let fingerprints = 0

async function open (store: SessionStore, customerId: number, userAgent?: string): Promise<string> {
  const absoluteAt = Math.floor(Date.now() / 1000 + 3600) * 1000
  const sid = newSessionId({ storeHash: 'abc123', customerId, absoluteAt })
  const outcome = await store.exchange({
    sid,
    record: { customer: { id: customerId, email: `c${customerId}@example.com`, groupId: null, storeHash: 'abc123' }, origin: ORIGIN, iat: Math.floor(Date.now() / 1000), absoluteAt, agent: agentCodes(userAgent) },
    fingerprint: `fp${++fingerprints}`,
    guardTtlMs: 60_000,
    idleMs: IDLE_MS,
    maxPerCustomer: 50
  })
  if (outcome !== 'created') throw new Error(outcome)
  return sid
}

const handles = async (store: SessionStore, customerId: number): Promise<string[]> => (await store.list('abc123', customerId)).map((s) => s.handle)

function contract (parent: Parent, name: string, make: (t: Tap) => Promise<{ store: SessionStore, consistent?: () => Promise<string[]> }>): void {
  parent.test(`${name}: list, end by handle, end the others`, async (t) => {
    const { store } = await make(t)
    const a = await open(store, 1, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0')
    const b = await open(store, 1)
    const c = await open(store, 1)
    const stranger = await open(store, 2)
    const listed = await store.list('abc123', 1)
    t.same(listed.map((s) => s.handle), [a, b, c].map(sessionHandle), 'created longest ago first')
    t.match(listed[0], { origin: ORIGIN, agent: { browser: 'f', os: 'w' } })
    t.match(listed[1], { agent: { browser: '_', os: '_' } }, 'no User-Agent: unknown')
    for (const s of listed) {
      t.ok(s.expiresAt > Date.now() && s.expiresAt <= Date.now() + IDLE_MS + 1000)
      t.ok(s.lastSeenAt !== null && s.lastSeenAt >= s.createdAt)
    }
    t.equal(await store.endByHandle('abc123', 1, sessionHandle(stranger)), false, 'another customer\'s handle ends nothing')
    t.equal(await store.endByHandle('abc123', 2, 'not a handle!!!!'), false)
    t.equal(await store.endByHandle('abc123', 1, sessionHandle(b)), true)
    t.equal(await store.endByHandle('abc123', 1, sessionHandle(b)), false, 'once')
    t.equal(await store.read(b, IDLE_MS), null)
    t.same(await handles(store, 1), [a, c].map(sessionHandle))
    t.equal(await store.endSessions('abc123', 1, sessionHandle(c)), 1)
    t.same(await handles(store, 1), [sessionHandle(c)])
    t.equal(await store.endSessions('abc123', 1), 1)
    t.same(await handles(store, 1), [])
    t.not(await store.read(stranger, IDLE_MS), null, 'the other customer is untouched')
  })

  parent.test(`${name}: ends racing exchanges and reads leave index and sessions in step`, async (t) => {
    const { store, consistent } = await make(t)
    const first = await Promise.all(Array.from({ length: 10 }, async () => await open(store, 3)))
    const work: Array<Promise<unknown>> = []
    for (let i = 0; i < 20; i++) {
      work.push(open(store, 3), store.read(first[i % 10] as string, IDLE_MS), store.list('abc123', 3))
      if (i % 5 === 0) work.push(store.endSessions('abc123', 3, sessionHandle(first[0] as string)))
      if (i % 7 === 0) work.push(store.endByHandle('abc123', 3, sessionHandle(first[i % 10] as string)))
    }
    await Promise.all(work)
    const listed = await store.list('abc123', 3)
    for (const s of listed) t.ok(s.expiresAt > Date.now(), 'every listed session is live')
    if (consistent !== undefined) t.same(await consistent(), [], 'no index entry without its session, no session outside the index')
    await store.endSessions('abc123', 3)
    t.same(await handles(store, 3), [])
    if (consistent !== undefined) t.same(await consistent(), [])
  })
}

type Tap = Parameters<typeof startRedis>[0]
type Parent = Pick<typeof t, 'test'>

/** Index members without a session key, and session keys without an index member, of customer 3. */
const mismatches = (client: Pick<Redis, 'zrange' | 'exists'>, sessionKeys: () => Promise<string[]>) => async (): Promise<string[]> => {
  const members = await client.zrange(keys.index('abc123', 3), 0, -1)
  const prefix = keys.sessionPrefix('abc123', 3)
  const out: string[] = []
  for (const m of members) if (await client.exists(prefix + m) === 0) out.push(`index only: ${m}`)
  for (const k of await sessionKeys()) if (!members.includes(k.slice(prefix.length))) out.push(`session only: ${k}`)
  return out
}

contract(t, 'redis', async (t) => {
  const server = await startRedis(t)
  const client = new Redis(server.url)
  t.teardown(() => client.disconnect())
  return { store: createRedisSessionStore(client, { tokenLifetimeSeconds: 1020 }), consistent: mismatches(client, async () => await client.keys(`${keys.sessionPrefix('abc123', 3)}*`)) }
})

contract(t, 'memory', async () => ({ store: createMemorySessionStore({ tokenLifetimeSeconds: 1020 }) }))

t.test('cluster', async (t) => {
  const cluster = await startRedisCluster()
  t.teardown(() => cluster.close())
  const { Cluster } = await import('ioredis')
  contract(t, 'cluster', async (t) => {
    const client = new Cluster(cluster.seeds.split(',').map((s) => ({ host: s.split(':')[0], port: Number(s.split(':')[1]) })))
    t.teardown(() => client.disconnect())
    await Promise.all(cluster.clients.map(async (c) => await c.flushall()))
    const sessionKeys = async (): Promise<string[]> => (await Promise.all(cluster.clients.map(async (c) => await c.keys(`${keys.sessionPrefix('abc123', 3)}*`)))).flat()
    return { store: createRedisSessionStore(client, { tokenLifetimeSeconds: 1020 }), consistent: mismatches(client, sessionKeys) }
  })
})
