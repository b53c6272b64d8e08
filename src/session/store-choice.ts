// The session store: Redis when configured, else the in-process one (development only).
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { MAX_TOKEN_AGE_SECONDS } from '../token/verify-token.js'
import { createMemorySessionStore } from '../store/memory-store.js'
import { createRedisSessionStore } from '../store/redis-store.js'
import type { SessionStore } from '../store/contract.js'
import { instrumentStore } from '../store/instrumented-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessionStore: SessionStore
  }
}

export default fp<{ config: Config }>(async function sessionStore (fastify, { config }) {
  // A cutoff matters while a token issued before it could still verify.
  const tokenLifetimeSeconds = MAX_TOKEN_AGE_SECONDS + 2 * config.clockTolerance
  const store = fastify.redis === null
    ? createMemorySessionStore({ tokenLifetimeSeconds })
    : createRedisSessionStore(fastify.redis, { tokenLifetimeSeconds })
  fastify.decorate('sessionStore', instrumentStore(store, fastify.metrics))
  fastify.addHook('onClose', async () => { await store.close() })
}, { name: 'session-store', dependencies: ['redis', 'metrics'] })
