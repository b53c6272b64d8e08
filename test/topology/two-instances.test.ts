// Two service instances on one Redis (as behind a load balancer): whatever one does, the other sees —
// sessions, the single-use guard, ending a session, and revocation.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { startRedis, testConfig, waitReady, STORE } from '../support/app.js'
import { exchange, getSession, signIn, endSession } from '../support/session.js'
import { token } from '../support/tokens.js'

const redis = await startRedis(t)

async function instance (t: { teardown: (fn: () => unknown) => void }): Promise<FastifyInstance> {
  // Each instance has its own configuration object and its own Redis connection: nothing shared but Redis.
  const app = buildApp(testConfig({ REDIS_URL: redis.url }), { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  await waitReady(app)
  return app
}

t.beforeEach(async () => { await redis.client.flushall() })

t.test('a session made on one instance is read, slid and ended on the other', async (t) => {
  const [a, b] = [await instance(t), await instance(t)]
  const { cookie } = await signIn(a, { customerId: 1 })
  const read = await getSession(b, cookie)
  t.equal(read.statusCode, 200)
  t.equal(read.json().customer.id, 1)

  const ended = await endSession(b, cookie)
  t.equal(ended.statusCode, 204)
  const afterOnA = await getSession(a, cookie)
  t.equal(afterOnA.statusCode, 401)
  t.equal(afterOnA.json().code, 'BCX_UNAUTHENTICATED')
})

t.test('the single-use guard holds across instances', async (t) => {
  // Both instances exchanging one token at once, over many rounds: session/exchange-race.test.ts.
  const [a, b] = [await instance(t), await instance(t)]
  const jwt = await token({ customerId: 2 })
  t.equal((await exchange(a, jwt)).statusCode, 201)
  const replay = await exchange(b, jwt)
  t.equal(replay.statusCode, 409)
  t.equal(replay.json().code, 'BCX_TOKEN_REPLAYED')
})

t.test('a revocation through one instance ends the sessions and refuses old tokens on the other', async (t) => {
  const [a, b] = [await instance(t), await instance(t)]
  const old = Math.floor(Date.now() / 1000) - 30
  const { cookie: onA } = await signIn(a, { customerId: 4, iat: old })
  const { cookie: onB } = await signIn(b, { customerId: 4, iat: old })
  const { cookie: other } = await signIn(b, { customerId: 5, iat: old })
  const stale = await token({ customerId: 4, iat: old })

  t.equal(await a.sessionStore.revokeCustomerSessions(STORE, 4, old + 1), 2)
  t.equal((await getSession(b, onA)).statusCode, 401)
  t.equal((await getSession(b, onB)).statusCode, 401)
  t.equal((await getSession(a, other)).statusCode, 200, 'another customer is untouched')
  const refused = await exchange(b, stale)
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'BCX_TOKEN_REVOKED')

  t.equal(await b.sessionStore.revokeStoreSessions(STORE, old + 1), 1)
  t.equal((await getSession(a, other)).statusCode, 401,
    'the store-wide revocation through B ends sessions made on B, read on A')
  const refusedOnA = await exchange(a, await token({ customerId: 6, iat: old }))
  t.equal(refusedOnA.statusCode, 401)
  t.equal(refusedOnA.json().code, 'BCX_TOKEN_REVOKED')
  t.equal((await exchange(a, await token({ customerId: 6 }))).statusCode, 201,
    'tokens issued after the cutoff work on either')
})
