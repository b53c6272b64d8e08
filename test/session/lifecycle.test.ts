// Timeouts, secret rotation, restarts, several instances, Redis outages, and logs.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, startRedis, waitReady, CLIENT_SECRET, SESSION_SECRET } from '../support/app.js'
import { exchange, getSession, sessionCookieOf, signIn, api, endSession } from '../support/session.js'
import { token } from '../support/tokens.js'
import { SLACK_MS } from '../support/time-bounds.js'

t.test('idle timeout slides; absolute timeout never extends', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { SESSION_IDLE_TIMEOUT: '2', SESSION_ABSOLUTE_TIMEOUT: '5' } })
  const { cookie, session } = await signIn(app)
  t.ok(Date.parse(session.expires_at) - Date.now() <= 2000, 'expires_at is the idle deadline')
  const started = Date.now()
  // Reads every 700 ms (1.3 s of slack for a loaded machine) keep it alive past the idle timeout...
  while (Date.now() - started < 3000) {
    await sleep(700)
    t.equal((await getSession(app, cookie)).statusCode, 200, 'slid')
  }
  // ...and a pause longer than the idle timeout ends it.
  await sleep(2300)
  t.equal((await getSession(app, cookie)).statusCode, 401, 'idle timeout')

  const { cookie: second } = await signIn(app)
  const began = Date.now()
  let last = 200
  while (Date.now() - began < 5000 + SLACK_MS && last === 200) {
    const res = await getSession(app, second)
    last = res.statusCode
    if (last === 200) {
      t.ok(Date.parse(res.json().expires_at) <= began + 5000 + 1000,
        'expires_at is capped by the absolute deadline')
    }
    await sleep(400)
  }
  t.equal(last, 401, 'absolute timeout ends a session in constant use')
  // Reads every 400 ms: the 401 comes with the first read after the deadline, whatever the load adds.
  t.ok(Date.now() - began >= 3500 && Date.now() - began < 7500,
    `ended at the absolute deadline (${Date.now() - began} ms)`)
})

t.test('rotation of the session secret and the client secret', async (t) => {
  const redis = await startRedis(t)
  const old = await build(t, { redis })
  const { cookie: oldCookie } = await signIn(old.app)
  const newSecret = 'a-brand-new-session-secret-of-32-chars!'
  const rotated = await build(t, {
    redis,
    env: {
      SESSION_SECRET: `${newSecret},${SESSION_SECRET}`,
      BC_CLIENT_SECRET: `new-client-secret-0123456789,${CLIENT_SECRET}`
    }
  })
  const read = await getSession(rotated.app, oldCookie)
  t.equal(read.statusCode, 200, 'a cookie signed with the previous secret still works')
  const renewed = sessionCookieOf(read)
  t.ok(renewed !== undefined && renewed !== oldCookie, 'and is signed again with the current one')
  t.equal((await getSession(rotated.app, renewed)).statusCode, 200)
  // Both client secrets verifying, in both token forms: token/token-algorithms.test.ts. Neither is any secret:
  t.equal((await exchange(rotated.app, await token({ secret: 'some-other-secret' }))).json().code, 'BCX_TOKEN_INVALID')
  const retired = await build(t, { redis, env: { SESSION_SECRET: newSecret } })
  t.equal((await getSession(retired.app, oldCookie)).statusCode, 401, 'a retired secret no longer verifies')
})

t.test('a restart of the service keeps sessions', async (t) => {
  // Several instances sharing sessions, guards and ends: topology/two-instances.test.ts.
  const redis = await startRedis(t)
  const first = await build(t, { redis })
  const { cookie } = await signIn(first.app)
  await first.app.close()
  const second = await build(t, { redis })
  t.equal((await getSession(second.app, cookie)).statusCode, 200, 'after a restart')
})

t.test('Redis stopped: fast 503 with our code; /healthz 200; recovery by itself', async (t) => {
  const redis = await startRedis(t, ['--appendonly', 'yes', '--appendfsync', 'always'])
  const { app, logs } = await build(t, { redis, env: { REDIS_COMMAND_TIMEOUT_MS: '500' } })
  const { cookie } = await signIn(app)
  await redis.stop()
  const calls = [
    () => getSession(app, cookie),
    async () => exchange(app, await token({ customerId: 9 })),
    () => endSession(app, cookie),
    () => api(app, cookie, '/api/me'),
    () => app.inject({ method: 'GET', url: '/readyz' })
  ]
  for (const [i, call] of calls.entries()) {
    const began = Date.now()
    const res = await call()
    t.equal(res.statusCode, 503, `call ${i}: 503`)
    t.equal(res.json().code, 'BCX_STORE_UNAVAILABLE', `call ${i}: code`)
    t.notMatch(res.json().message, /ECONNREFUSED|Stream|offline|127\.0\.0\.1/, `call ${i}: no store error text`)
    t.ok(Date.now() - began < 500 + SLACK_MS, `call ${i}: answered, not hung (${Date.now() - began} ms)`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, '/healthz does not depend on Redis')
  await redis.start()
  await waitReady(app, 10_000)
  t.equal((await getSession(app, cookie)).statusCode, 200, 'the session survived the restart (AOF)')
  t.equal((await exchange(app, await token({ customerId: 10 }))).statusCode, 201, 'exchanges work again')
  t.notOk(logs.some((l) => l.includes('"level":50') && !l.includes('BCX_STORE_UNAVAILABLE')),
    'no unexplained errors logged')
})

t.test('Redis hung (SIGSTOP): 503 within the command timeout, then recovery', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { REDIS_COMMAND_TIMEOUT_MS: '400' } })
  const { cookie } = await signIn(app)
  redis.signal('SIGSTOP')
  const began = Date.now()
  const res = await getSession(app, cookie)
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'BCX_STORE_UNAVAILABLE')
  t.ok(Date.now() - began < 400 + SLACK_MS, `answered, not hung (${Date.now() - began} ms)`)
  redis.signal('SIGCONT')
  await waitReady(app, 10_000)
  t.equal((await getSession(app, cookie)).statusCode, 200)
})

t.test('no token, cookie, session id or secret in any log line', async (t) => {
  const redis = await startRedis(t)
  const { app, logs } = await build(t, { redis, env: { LOG_LEVEL: 'trace' } })
  const { cookie, jwt, sid } = await signIn(app)
  const bad = `${jwt.slice(0, -3)}abc`
  await exchange(app, bad)
  await exchange(app, jwt)
  await getSession(app, cookie)
  await getSession(app, `${cookie}x`)
  await app.inject({
    method: 'GET',
    url: '/session',
    headers: { 'x-csrf': '1', cookie, authorization: `Bearer ${jwt}` }
  })
  await endSession(app, cookie)
  const text = logs.join('')
  t.ok(logs.length > 5, 'the app logged')
  const secrets = {
    jwt,
    bad,
    signature: jwt.split('.')[2],
    cookie: cookie.split('=')[1],
    sid,
    random: sid.split('.')[3],
    CLIENT_SECRET,
    SESSION_SECRET
  }
  // A part that is missing is looked for as '', which every text includes: the test fails rather than pass blind.
  for (const [label, secret] of Object.entries(secrets)) t.notOk(text.includes(secret ?? ''), `${label} is not logged`)
})
