// Exchange rate limits: per address (IPv6 by /64) before any token work, per customer after it,
// shared by every instance through Redis, and closed (503) when Redis is down.
import t from 'tap'
import type { Test } from 'tap'
import { build, startRedis, ORIGIN } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { errorShapeProblem } from '../support/responses.js'
import { exchange, postSession } from '../support/session.js'
import { token } from '../support/tokens.js'
import { SLACK_MS } from '../support/time-bounds.js'

const LIMITED = { RATE_LIMIT_EXCHANGE: '3' }

async function validExchange (app: Parameters<typeof postSession>[0], remoteAddress: string, customerId = 4927,
  storeHash = 'abc123') {
  return await postSession(app,
    { payload: JSON.stringify({ token: await token({ customerId, storeHash }) }), remoteAddress })
}

function assertLimited (t: Test, res: Awaited<ReturnType<typeof postSession>>, what: string): void {
  t.equal(res.statusCode, 429, `${what}: 429`)
  t.equal(res.json().code, 'BCX_RATE_LIMITED', `${what}: our code`)
  t.equal(errorShapeProblem(res), null, `${what}: our error shape`)
  const retryAfter = Number(res.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
    `${what}: Retry-After ${String(res.headers['retry-after'])}`)
  t.equal(res.headers['set-cookie'], undefined, `${what}: no cookie`)
}

t.test('per address: counted before any token work, refused with 429 and Retry-After', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: LIMITED })

  // Cross-site refusals come first and do not spend the allowance.
  for (let i = 0; i < 5; i++) {
    const res = await postSession(app, { headers: { 'x-csrf': '0' } })
    t.equal(res.json().code, 'BCX_CSRF_HEADER_MISSING')
  }
  // Garbage tokens spend it: the limit runs before verification.
  for (let i = 0; i < 3; i++) {
    const res = await postSession(app)
    t.equal(res.json().code, 'BCX_TOKEN_INVALID')
    t.equal(res.headers['x-ratelimit-remaining'], String(2 - i))
  }
  assertLimited(t, await validExchange(app, '127.0.0.1'), 'a valid token past the limit')
  t.equal(await sessionKeyCount(redis), 0, 'no session made')
  t.equal((await redis.client.keys('bcx:*:g:*')).length, 0, 'the refused token was not spent')

  const elsewhere = await validExchange(app, '198.51.100.7')
  t.equal(elsewhere.statusCode, 201, 'another address has its own allowance')
  t.ok((await redis.client.keys('bcx:rl:*')).length >= 2, 'the counters live in Redis')
})

t.test('per address: IPv6 counts by /64; IPv4-mapped counts as IPv4', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: LIMITED })
  for (const remoteAddress of ['2001:db8:aa:1::1', '2001:db8:aa:1:ffff:ffff:ffff:ffff', '2001:db8:aa:1:1234::9']) {
    t.equal((await postSession(app, { remoteAddress })).statusCode, 401)
  }
  assertLimited(t, await postSession(app, { remoteAddress: '2001:db8:aa:1::abcd' }), 'same /64')
  t.equal((await postSession(app, { remoteAddress: '2001:db8:aa:2::1' })).statusCode, 401,
    'the next /64 is not limited')

  for (let i = 0; i < 3; i++) t.equal((await postSession(app, { remoteAddress: '203.0.113.9' })).statusCode, 401)
  assertLimited(t, await postSession(app, { remoteAddress: '::ffff:203.0.113.9' }), 'IPv4-mapped')
})

t.test('per customer: one shopper cannot mint sessions from many addresses', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: LIMITED })
  for (const address of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
    t.equal((await validExchange(app, address)).statusCode, 201)
  }
  const guards = (await redis.client.keys('bcx:*:g:*')).length
  assertLimited(t, await validExchange(app, '192.0.2.4'), 'the 4th exchange of one customer')
  t.equal(await sessionKeyCount(redis), 3, 'no 4th session')
  t.equal((await redis.client.keys('bcx:*:g:*')).length, guards, 'the refused token was not spent')

  t.equal((await validExchange(app, '192.0.2.4', 4928)).statusCode, 201, 'another customer of the store')
  t.equal((await validExchange(app, '192.0.2.5', 4927, 'xyz789')).statusCode, 201, 'the same id at another store')
  t.equal(await sessionKeyCount(redis), 5)
})

t.test('the limits are shared by two instances on one Redis', async (t) => {
  const redis = await startRedis(t)
  const a = await build(t, { redis, env: LIMITED })
  const b = await build(t, { redis, env: LIMITED })
  t.equal((await postSession(a.app)).statusCode, 401)
  t.equal((await postSession(b.app)).statusCode, 401)
  t.equal((await postSession(a.app)).statusCode, 401)
  assertLimited(t, await postSession(b.app), 'address, 4th request across instances')
  assertLimited(t, await postSession(a.app), 'address, 5th request across instances')

  for (const [i, app] of [a.app, b.app, a.app].entries()) {
    t.equal((await validExchange(app, `192.0.2.${10 + i}`)).statusCode, 201)
  }
  assertLimited(t, await validExchange(b.app, '192.0.2.20'), 'customer, 4th exchange across instances')
  t.equal(await sessionKeyCount(redis), 3)
})

t.test('Redis down: the limiter fails closed with our 503', async (t) => {
  const redis = await startRedis(t)
  const limited = await build(t, { redis, env: { ...LIMITED, REDIS_COMMAND_TIMEOUT_MS: '300' } })
  const open = await build(t, { redis, env: { REDIS_COMMAND_TIMEOUT_MS: '300' } })
  await redis.stop()

  const started = Date.now()
  const res = await postSession(limited.app)
  t.equal(res.statusCode, 503, 'a garbage token gets 503, not 401: the limiter ran and refused')
  t.equal(res.json().code, 'BCX_STORE_UNAVAILABLE')
  t.equal(errorShapeProblem(res), null)
  t.notMatch(res.body, /ECONNREFUSED|enableOfflineQueue|Stream/, 'no Redis text reaches the client')
  t.ok(Date.now() - started < 300 + SLACK_MS, 'answered after the command timeout, not hung')
  t.equal((await postSession(open.app)).statusCode, 401, 'with limits off the same request never needed Redis')

  await redis.start()
  const deadline = Date.now() + 10_000
  let status = 0
  while (Date.now() < deadline && status !== 401) {
    status = (await postSession(limited.app)).statusCode
    if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(status, 401, 'recovers by itself when Redis returns')
})

t.test('RATE_LIMIT_EXCHANGE=0 turns the limits off', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { RATE_LIMIT_EXCHANGE: '0' } })
  const statuses = new Set<number>()
  for (let i = 0; i < 80; i++) statuses.add((await postSession(app)).statusCode)
  for (let i = 0; i < 15; i++) statuses.add((await exchange(app, await token(), { origin: ORIGIN })).statusCode)
  t.same([...statuses].sort(), [201, 401])
  t.equal((await redis.client.keys('bcx:rl:*')).length, 0, 'no counters kept')
})
