// The app callbacks (/bigcommerce/*) are limited per client address before any work: each install
// callback makes the service send the client secret to BigCommerce's token endpoint and wait for it.
// Past the limit: a 429 page with Retry-After, and BigCommerce hears nothing more. Closed when Redis is down.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { APP_CALLBACKS_PER_MINUTE } from '../../../src/plugins/rate-limit.js'
import { build, CLIENT_SECRET, startRedis } from '../../support/app.js'
import { codeOf, standInAppEnv, standInBigCommerce } from '../../support/app-mode.js'

const N = APP_CALLBACKS_PER_MINUTE

const bc = await standInBigCommerce(t)
const envOf = (redisTimeout = '1000', limit = '60'): Record<string, string | undefined> => ({
  ...standInAppEnv(bc.url),
  BC_STORE_HASHES: undefined,
  ALLOWED_ORIGINS: 'https://static.example',
  RATE_LIMIT_EXCHANGE: limit,
  REDIS_COMMAND_TIMEOUT_MS: redisTimeout,
  LOG_LEVEL: 'warn'
})

/** The install callback with a code BigCommerce does not know: each one still costs a token-endpoint call. */
const auth = async (app: FastifyInstance, remoteAddress = '198.51.100.7', i = 0): Promise<LightMyRequestResponse> =>
  await app.inject({
    method: 'GET',
    url: `/bigcommerce/auth?code=forged-${i}&scope=store_v2_content&context=stores/victim`,
    remoteAddress
  })

t.test('the N+1th call from one address is a 429 page with Retry-After; the token endpoint heard at most N',
  async (t) => {
    const redis = await startRedis(t)
    const { app, logs } = await build(t, { redis, env: envOf() })
    const tokenCalls = bc.calls('POST /oauth2/token')
    for (let i = 0; i < N; i++) {
      const res = await auth(app, '198.51.100.7', i)
      t.equal(res.statusCode, 502, `call ${i + 1}: BigCommerce refused the code`)
    }
    t.equal(bc.calls('POST /oauth2/token') - tokenCalls, N)
    const keysBefore = (await redis.client.keys('*')).sort()
    const limited = await auth(app, '198.51.100.7', N)
    t.equal(limited.statusCode, 429)
    t.equal(codeOf(limited.body), 'BCX_RATE_LIMITED')
    t.match(limited.headers['content-type'], /^text\/html/)
    t.equal(limited.headers['cache-control'], 'no-store')
    const retryAfter = Number(limited.headers['retry-after'])
    t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
    `Retry-After ${String(limited.headers['retry-after'])}`)
    t.equal(bc.calls('POST /oauth2/token') - tokenCalls, N, 'the refused call never reached BigCommerce')
    t.same((await redis.client.keys('*')).sort(), keysBefore,
      'nothing new in Redis (the counter key was already there)')
    t.notOk(logs.join('').includes(CLIENT_SECRET), 'the client secret is never logged')

    // Every callback shares the allowance: a load from the same address is refused before the payload is read.
    const load = await app.inject({
      method: 'GET',
      url: `/bigcommerce/load?signed_payload_jwt=${await bc.signPayload('victim')}`,
      remoteAddress: '198.51.100.7'
    })
    t.equal(load.statusCode, 429)
    t.equal(codeOf(load.body), 'BCX_RATE_LIMITED')
    const revoke = await app.inject({
      method: 'POST',
      url: '/bigcommerce/sessions/revoke',
      remoteAddress: '198.51.100.7',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'form_token=x'
    })
    t.equal(revoke.statusCode, 429)

    t.equal((await auth(app, '198.51.100.8', 99)).statusCode, 502, 'another address has its own allowance')
    t.equal((await auth(app, '2001:db8:1:2::1', 100)).statusCode, 502)
  })

t.test('IPv6 addresses count by their /64', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: envOf() })
  for (let i = 0; i < N; i++) t.equal((await auth(app, `2001:db8:5:6::${(i + 1).toString(16)}`, i)).statusCode, 502)
  t.equal((await auth(app, '2001:db8:5:6:ffff:1:2:3', N)).statusCode, 429, 'another address of the same /64')
  t.equal((await auth(app, '2001:db8:5:7::1', N + 1)).statusCode, 502, 'the next /64 is another subscriber')
})

t.test('RATE_LIMIT_EXCHANGE=0 turns this limit off too', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: envOf('1000', '0') })
  for (let i = 0; i <= N; i++) t.equal((await auth(app, '198.51.100.9', i)).statusCode, 502)
})

t.test('Redis down: refused with a 503 page, BigCommerce hears nothing', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: envOf('300') })
  await redis.stop()
  const tokenCalls = bc.calls('POST /oauth2/token')
  const res = await auth(app, '198.51.100.10')
  t.equal(res.statusCode, 503)
  t.equal(codeOf(res.body), 'BCX_STORE_UNAVAILABLE')
  t.notMatch(res.body, /ECONNREFUSED|enableOfflineQueue|Stream/, 'no Redis text reaches the merchant')
  t.equal(bc.calls('POST /oauth2/token'), tokenCalls)
})
