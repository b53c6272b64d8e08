// Redis Sentinel: a forced failover under traffic loses no session that the replica had acknowledged,
// answers no 500, and the service recovers by itself within seconds.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { buildApp } from '../../src/app.js'
import { testConfig, waitReady } from '../support/app.js'
import { exchange, getSession, sessionCookieOf, signIn } from '../support/session.js'
import { token } from '../support/tokens.js'
import { startRedisSentinel } from '../support/redis-sentinel.js'
import { SLACK_MS } from '../support/time-bounds.js'

const topology = await startRedisSentinel()
t.teardown(() => topology.close())

async function sentinelApp (t: { teardown: (fn: () => unknown) => void }): Promise<FastifyInstance> {
  const app = buildApp(testConfig({ REDIS_SENTINELS: topology.sentinels, REDIS_SENTINEL_MASTER: topology.name }),
    { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  await waitReady(app)
  return app
}

const direct = new Map<number, Redis>()
t.teardown(() => { for (const c of direct.values()) c.disconnect() })
function node (port: number): Redis {
  let c = direct.get(port)
  if (c === undefined) {
    c = new Redis({
      port,
      host: '127.0.0.1',
      connectionName: 'bcx-test',
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50
    })
    c.on('error', () => {})
    direct.set(port, c)
  }
  return c
}

/**
 * Proves that everything written to `port` so far has reached the replica: a write of our own, then
 * WAIT for one replica. WAIT covers this connection's writes, and ours comes after the service's.
 */
async function replicaAcknowledged (port: number): Promise<boolean> {
  try {
    const c = node(port)
    await c.incr('bcx-test:witness')
    return await c.wait(1, 500) >= 1
  } catch {
    return false
  }
}

/** Connections of the service to a data node: normal clients that are neither Sentinel's nor ours. */
async function serviceConnections (port: number): Promise<number> {
  const list = await node(port).call('CLIENT', 'LIST', 'TYPE', 'normal') as string
  return list.split('\n').filter((line) => line.includes(' name=') && !/ name=(sentinel-|bcx-test)/.test(line)).length
}

t.test('the session flow through Sentinel', async (t) => {
  const app = await sentinelApp(t)
  const { cookie } = await signIn(app, { customerId: 5 })
  const read = await getSession(app, cookie)
  t.equal(read.statusCode, 200)
  t.equal(read.json().customer.id, 5)
})

t.test('SENTINEL FAILOVER under traffic: acknowledged sessions survive, no 500, quick recovery', async (t) => {
  const app = await sentinelApp(t)
  const statuses = new Map<number, number>()
  const count = (status: number): void => { statuses.set(status, (statuses.get(status) ?? 0) + 1) }
  /** Before the failover: 201s that a WAIT covered, and those not yet covered. */
  const acknowledged: string[] = []
  let pending: string[] = []
  /** Written while the failover ran, maybe to the old master: those may be lost (not acknowledged). */
  const unknown: string[] = []
  /** Written once the service had left the old master: on the new master, which no failover touched. */
  const afterSwitch: string[] = []
  /** Shared with the workers, which stop when told. */
  const run = { phase: 'before' as 'before' | 'during' | 'after', stop: false }
  let lastFailureAt = 0
  let keptReadsRefused = 0
  let customer = 10_000

  async function worker (): Promise<void> {
    while (!run.stop) {
      const res = await exchange(app, await token({ customerId: customer++ }))
      count(res.statusCode)
      if (res.statusCode === 201) {
        const cookie = sessionCookieOf(res) as string
        if (run.phase === 'before') pending.push(cookie)
        else if (run.phase === 'during') unknown.push(cookie)
        else afterSwitch.push(cookie)
      } else lastFailureAt = Date.now()
      const kept = [...acknowledged, ...afterSwitch]
      const known = kept[Math.floor(Math.random() * kept.length)]
      if (known !== undefined) {
        const read = await getSession(app, known)
        count(read.statusCode)
        if (read.statusCode === 401) keptReadsRefused++
        if (read.statusCode !== 200) lastFailureAt = Date.now()
      }
    }
  }

  async function witness (port: number): Promise<void> {
    while (run.phase === 'before') {
      const batch = pending
      pending = []
      // A batch counts only if the WAIT answered before the failover began.
      if (await replicaAcknowledged(port) && run.phase === 'before') acknowledged.push(...batch)
      else unknown.push(...batch)
      await sleep(100)
    }
  }

  const original = await topology.masterPort()
  const workers = [worker(), worker(), worker()]
  const witnessing = witness(original)
  await sleep(1500)

  run.phase = 'during'
  await witnessing
  unknown.push(...pending.splice(0))
  const failoverAt = Date.now()
  const { from, to } = await topology.failover()
  t.equal(from, original)
  // Sentinel demotes the old master many seconds later; until the service has left it, a write may
  // land there and be lost. Once it has, every write lands on the new master.
  const deadline = Date.now() + 10_000
  while (await serviceConnections(from).catch(() => 1) > 0 && Date.now() < deadline) await sleep(20)
  const switchedAt = Date.now()
  t.ok(switchedAt < deadline, `the service left the old master ${switchedAt - failoverAt} ms after SENTINEL FAILOVER`)
  run.phase = 'after'
  await sleep(2000)
  run.stop = true
  await Promise.all(workers)

  t.ok(acknowledged.length > 20, `sessions acknowledged by the replica before the failover: ${acknowledged.length}`)
  t.ok(afterSwitch.length > 20, `sessions written after the switch: ${afterSwitch.length}`)
  t.comment(`statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
    `last failure ${lastFailureAt === 0 ? 'none' : `${lastFailureAt - failoverAt} ms`} after SENTINEL FAILOVER`)
  t.same([...statuses.keys()].filter((s) => s >= 500 && s !== 503), [], 'no 5xx but 503 BCX_STORE_UNAVAILABLE')
  t.same([...statuses.keys()].filter((s) => ![200, 201, 503].includes(s)), [], 'nothing but 200, 201 and 503')
  t.equal(keptReadsRefused, 0, 'no acknowledged session ever read as missing')
  t.ok(lastFailureAt < failoverAt + 5000 + SLACK_MS, `recovered ${lastFailureAt - failoverAt} ms after the failover`)

  const lost: number[] = []
  for (const cookie of [...acknowledged, ...afterSwitch]) {
    const res = await getSession(app, cookie)
    if (res.statusCode !== 200) lost.push(res.statusCode)
  }
  t.same(lost, [], 'every acknowledged session, and every one written after the switch, readable')
  let unknownKept = 0
  for (const cookie of unknown) if ((await getSession(app, cookie)).statusCode === 200) unknownKept++
  t.comment(`sessions written during the failover (never acknowledged): ${unknown.length}, ` +
    `still readable: ${unknownKept}`)
  t.equal(await topology.masterPort(), to)
})
