// The Redis connection (single, Sentinel or Cluster): bounded waits, endless reconnects, no secrets logged.
// @see https://github.com/redis/ioredis
import fp from 'fastify-plugin'
import { Cluster, type RedisOptions } from 'ioredis'
import type { Config, RedisSettings } from '../config.js'
import { DeadlineRedis } from '../store/deadline.js'
import type { RedisClient } from '../store/redis-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** null when the service runs on the in-process store. */
    redis: RedisClient | null
  }
}

/** Credentials, TLS and database from a redis:// or rediss:// URL. */
function urlOptions (url: string | undefined): RedisOptions {
  if (url === undefined) return {}
  const u = new URL(url)
  const db = Number(u.pathname.replace(/^\//, '') || 0)
  return {
    ...(u.username !== '' && { username: decodeURIComponent(u.username) }),
    ...(u.password !== '' && { password: decodeURIComponent(u.password) }),
    ...(u.protocol === 'rediss:' && { tls: {} }),
    ...(Number.isInteger(db) && db > 0 && { db })
  }
}

export function createRedisClient (
  settings: Exclude<RedisSettings, { kind: 'memory' }>,
  commandTimeoutMs: number
): RedisClient {
  const common: RedisOptions = {
    // No command waits for a connection: without Redis, a request fails at once with our 503.
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 2000),
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    // After a failover the old master answers READONLY: reconnect to the new one and resend.
    reconnectOnError: (err) => err.message.startsWith('READONLY') ? 2 : false,
    // Commands issued in one turn of the event loop (concurrent requests' session reads) leave in one
    // write and come back in one read: about one system call less per request (docs/benchmark.md).
    // A call queued behind a batch in flight would wait for that batch's timeout before its own starts:
    // DeadlineRedis bounds each call from when it is made instead (src/store/deadline.ts).
    enableAutoPipelining: true
  }
  switch (settings.kind) {
    case 'single':
      return new DeadlineRedis(settings.url, common)
    case 'sentinel':
      return new DeadlineRedis({
        ...common,
        ...urlOptions(settings.url),
        sentinels: settings.sentinels,
        name: settings.name,
        sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
        // Follow +switch-master at once: the demoted master keeps accepting writes (lost when it resyncs)
        // until Sentinel reconfigures it, which takes many seconds after a forced failover.
        failoverDetector: true,
        // ioredis ignores `tls` for the master that Sentinel names unless told: rediss:// means TLS to both.
        ...(settings.url?.startsWith('rediss:') === true && { enableTLSForSentinelMode: true, sentinelTLS: {} })
      })
    case 'cluster': {
      // Not auto-pipelined: ioredis does not follow a MOVED for a pipeline of writes as it does for one command.
      const { retryStrategy, enableOfflineQueue, enableAutoPipelining, ...redisOptions } = common
      return new Cluster(settings.nodes, {
        enableOfflineQueue: false,
        clusterRetryStrategy: retryStrategy as (times: number) => number,
        redisOptions: { ...redisOptions, ...urlOptions(settings.url) },
        slotsRefreshTimeout: Math.max(commandTimeoutMs, 1000),
        ...(settings.url?.startsWith('rediss:') === true && { dnsLookup: (address, cb) => cb(null, address) })
      })
    }
  }
}

/** How long after start a Redis that never answered is worth a warning. */
export const STARTUP_GRACE_MS = 5000

export default fp<{ config: Config, client?: RedisClient }>(async function redis (fastify, { config, client }) {
  if (config.redis.kind === 'memory') {
    fastify.decorate<RedisClient | null>('redis', null)
    return
  }
  const redis = client ?? createRedisClient(config.redis, config.redisCommandTimeoutMs)
  // ioredis reports every failed reconnect; log changes of state, not each attempt.
  let up = false
  redis.on('ready', () => { up = true; fastify.log.info({ redis: config.redis.kind }, 'redis ready') })
  redis.on('error', (err: Error) => {
    if (up) fastify.log.warn({ err: { message: err.message } }, 'redis connection lost')
    up = false
  })
  fastify.decorate<RedisClient | null>('redis', redis)
  // Started without Redis answering: say so once, loudly, instead of only answering 503 (it keeps trying).
  const unanswered = setTimeout(() => {
    if (up) return
    fastify.log.warn(
      { redis: config.redis.kind },
      `redis does not answer ${STARTUP_GRACE_MS / 1000} s after start: ` +
        'session calls answer 503 until it does (still trying)'
    )
  }, STARTUP_GRACE_MS)
  unanswered.unref()
  fastify.addHook('onClose', async () => {
    clearTimeout(unanswered)
    if (client !== undefined) return
    await redis.quit().catch(() => {})
    // quit() leaves the Sentinel failover subscriptions open (they would keep the process alive).
    redis.disconnect()
  })
}, { name: 'redis' })
