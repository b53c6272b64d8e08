// Passwords and TLS settings reach every kind of Redis connection: REDIS_URL carries the credentials
// (and rediss:// the TLS) for a single server, for the nodes Sentinel names, and for Cluster nodes.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Cluster, Redis } from 'ioredis'
import { buildApp } from '../../src/app.js'
import { createRedisClient } from '../../src/plugins/redis.js'
import { startRedis, testConfig, waitReady } from '../support/app.js'
import { exchange, getSession, signIn } from '../support/session.js'
import { token } from '../support/tokens.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { startRedisSentinel } from '../support/redis-sentinel.js'

const PASSWORD = 'bcx-redis-pass'

async function app (t: { teardown: (fn: () => unknown) => void }, env: Record<string, string>,
  ready = true): Promise<FastifyInstance> {
  const instance = buildApp(testConfig(env), { logger: false })
  t.teardown(() => instance.close())
  await instance.ready()
  if (ready) await waitReady(instance, 10_000)
  return instance
}

async function sessionWorks (t: Test, instance: FastifyInstance): Promise<void> {
  const { cookie } = await signIn(instance, { customerId: 77 })
  t.equal((await getSession(instance, cookie)).statusCode, 200)
}

t.test('a single server with a password', async (t) => {
  const redis = await startRedis(t)
  // Set after start-up: the harness's own connection is already in and stays so.
  await redis.client.config('SET', 'requirepass', PASSWORD)
  await sessionWorks(t, await app(t, { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}` }))

  const wrong = await app(t, { REDIS_URL: `redis://:wrong@127.0.0.1:${redis.port}` }, false)
  const ready = await wrong.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.json().code, 'BCX_STORE_UNAVAILABLE')
  const refused = await exchange(wrong, await token({ customerId: 78 }))
  t.equal(refused.statusCode, 503, 'a wrong password is a 503, never a 500')
  t.equal(refused.json().code, 'BCX_STORE_UNAVAILABLE')
})

t.test('Sentinel: the credentials of REDIS_URL reach the master it names', async (t) => {
  const topology = await startRedisSentinel({ password: PASSWORD })
  t.teardown(() => topology.close())
  await sessionWorks(t, await app(t, {
    REDIS_SENTINELS: topology.sentinels,
    REDIS_SENTINEL_MASTER: topology.name,
    REDIS_URL: `redis://:${PASSWORD}@sentinel-named-master`
  }))
})

t.test('Cluster: the credentials of REDIS_URL reach every node', async (t) => {
  const cluster = await startRedisCluster({ password: PASSWORD })
  t.teardown(() => cluster.close())
  await sessionWorks(t,
    await app(t, { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_URL: `redis://:${PASSWORD}@cluster-nodes` }))
})

t.test('rediss:// turns TLS on for the data nodes and the Sentinels; the failure policy is the same everywhere',
  async (t) => {
    const opened: Array<Redis | Cluster> = []
    t.teardown(() => { for (const c of opened) c.disconnect() })
    const make = (settings: Parameters<typeof createRedisClient>[0]): Redis | Cluster => {
      const client = createRedisClient(settings, 700)
      client.on('error', () => {})
      opened.push(client)
      client.disconnect()
      return client
    }
    const unreachable = [{ host: '127.0.0.1', port: 1 }]

    const sentinel =
      make({ kind: 'sentinel', sentinels: unreachable, name: 'm', url: 'rediss://user:p%40ss@ignored/2' }) as Redis
    t.match(sentinel.options,
      { username: 'user', password: 'p@ss', db: 2, tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true })
    t.match(sentinel.options, { failoverDetector: true, enableOfflineQueue: false, commandTimeout: 700 })
    const plainSentinel = make({ kind: 'sentinel', sentinels: unreachable, name: 'm' }) as Redis
    t.equal(plainSentinel.options.tls, undefined)
    t.equal(plainSentinel.options.enableTLSForSentinelMode, false)

    const cluster = make({ kind: 'cluster', nodes: unreachable, url: 'rediss://:secret@ignored' }) as Cluster
    t.match(cluster.options, {
      enableOfflineQueue: false,
      redisOptions: { password: 'secret', tls: {}, commandTimeout: 700, enableOfflineQueue: undefined }
    })
    t.type(cluster.options.dnsLookup, 'function', 'TLS certificates are checked against the announced names')

    const single = make({ kind: 'single', url: 'rediss://:secret@127.0.0.1:1' }) as Redis
    t.match(single.options, { password: 'secret', enableOfflineQueue: false, commandTimeout: 700 })
    t.ok(single.options.tls, 'ioredis reads rediss:// itself for a single server')

    for (const client of [sentinel, single]) {
      const reconnect = client.options.reconnectOnError as (err: Error) => boolean | 1 | 2
      t.equal(reconnect(new Error('READONLY You can\'t write against a read only replica.')), 2,
        'READONLY: reconnect and resend')
      t.equal(reconnect(new Error('ERR wrong number of arguments')), false)
    }
  })
