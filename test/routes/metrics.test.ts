import t from 'tap'
import { build, startRedis } from '../support/app.js'
import { exchange, getSession, signIn, endSession } from '../support/session.js'
import { token } from '../support/tokens.js'

const value = (text: string, line: string): number => {
  const found = text.split('\n').find((l) => l.startsWith(line + ' '))
  return found === undefined ? 0 : Number(found.slice(line.length + 1))
}

t.test('GET /metrics counts exchanges by outcome, skew, sessions, store operations and requests', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const jwt = await token()
  const { cookie } = await signIn(app, { jwt })
  await exchange(app, jwt)
  await exchange(app, 'not-a-token')
  await getSession(app, cookie)
  await endSession(app, cookie)
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/plain/)
  const text = res.body
  t.equal(value(text, 'bcx_exchanges_total{outcome="created"}'), 1)
  t.equal(value(text, 'bcx_exchanges_total{outcome="BCX_TOKEN_REPLAYED"}'), 1)
  t.equal(value(text, 'bcx_exchanges_total{outcome="BCX_TOKEN_INVALID"}'), 1)
  t.equal(value(text, 'bcx_token_clock_skew_seconds_count'), 2, 'both verified tokens observed')
  t.equal(value(text, 'bcx_sessions_total{event="created",reason="exchange"}'), 1)
  t.equal(value(text, 'bcx_sessions_total{event="ended",reason="logout"}'), 1)
  t.equal(value(text, 'bcx_store_operation_seconds_count{op="read",result="ok"}'), 1)
  t.ok(value(text, 'bcx_http_request_duration_seconds_count{method="POST",route="/session",status="201"}') === 1)
  t.match(text, /bcx_process_resident_memory_bytes/)
})

t.test('Redis errors are counted', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { REDIS_COMMAND_TIMEOUT_MS: '300' } })
  const { cookie } = await signIn(app)
  await redis.stop()
  t.equal((await getSession(app, cookie)).statusCode, 503)
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(value(text, 'bcx_store_operation_seconds_count{op="read",result="error"}'), 1)
})

t.test('METRICS_TOKEN protects /metrics', async (t) => {
  const { app } = await build(t, { redis: 'memory', env: { METRICS_TOKEN: 'metrics-secret-123' } })
  for (const authorization of [undefined, 'Bearer wrong', 'Bearer metrics-secret-12', 'Basic metrics-secret-123',
    'metrics-secret-123']) {
    const res = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: authorization === undefined ? {} : { authorization }
    })
    t.equal(res.statusCode, 401, String(authorization))
    t.equal(res.json().code, 'BCX_ADMIN_UNAUTHORIZED')
  }
  const ok = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: 'Bearer metrics-secret-123' }
  })
  t.equal(ok.statusCode, 200)
})
