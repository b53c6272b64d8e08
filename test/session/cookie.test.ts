// The cookie and the session's origin: what reads it, who sees it, how it ends.
import t from 'tap'
import { build, startRedis, ORIGIN, OTHER_ORIGIN, COOKIE_NAME } from '../support/app.js'
import { sessionKeyCount, commandCalls } from '../support/redis-state.js'
import { exchange, getSession, setCookieHeader, signIn, api } from '../support/session.js'
import { token } from '../support/tokens.js'
import { createHmac } from 'node:crypto'

const CLEARED = /^__Host-bc_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; Partitioned; SameSite=None$/
const del = (origin: string | undefined, cookie: string, csrf = true) => ({
  method: 'DELETE' as const,
  url: '/session',
  headers: { ...(origin !== undefined && { origin }), ...(csrf && { 'x-csrf': '1' }), cookie }
})

t.test('bad cookies get 401 and are cleared with the full attributes', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  const [name, value] = cookie.split('=') as [string, string]
  const sid = value.slice(0, value.lastIndexOf('.'))
  const forged =
    createHmac('sha256', 'another-secret-of-32-characters!!').update(sid).digest('base64').replace(/=/g, '')
  const cases = {
    'tampered signature': `${name}=${value.slice(0, -2)}xx`,
    'tampered id': `${name}=${value.replace(/\.[^.]/, '.Z')}`,
    unsigned: `${name}=${sid}`,
    'signed with another secret': `${name}=${sid}.${forged}`,
    garbage: `${name}=%%%`,
    'oversized value': `${name}=${'a'.repeat(5000)}`
  }
  for (const [label, bad] of Object.entries(cases)) {
    const res = await getSession(app, bad)
    t.equal(res.statusCode, 401, `${label}: status`)
    t.equal(res.json().code, 'BCX_UNAUTHENTICATED', `${label}: code`)
    t.match(setCookieHeader(res), CLEARED, `${label}: cleared`)
  }
  t.equal((await getSession(app, cookie)).statusCode, 200, 'the real cookie still works')
})

t.test('a cookie for a destroyed session gets 401 and is cleared', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  t.equal((await app.inject(del(ORIGIN, cookie))).statusCode, 204)
  const res = await getSession(app, cookie)
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'BCX_UNAUTHENTICATED')
  t.match(setCookieHeader(res), CLEARED)
  const again = await app.inject(del(ORIGIN, cookie))
  t.equal(again.statusCode, 204, 'DELETE without a live session is 204 too')
  const none = await app.inject({ method: 'DELETE', url: '/session', headers: { origin: ORIGIN, 'x-csrf': '1' } })
  t.equal(none.statusCode, 204)
  t.equal(none.headers['set-cookie'], undefined, 'nothing to clear without a cookie')
})

t.test('a session belongs to the origin that exchanged it', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)

  const foreignRead = await getSession(app, cookie, OTHER_ORIGIN)
  t.equal(foreignRead.statusCode, 401, 'another allowed origin does not see it')
  t.equal(foreignRead.json().code, 'BCX_UNAUTHENTICATED')
  t.equal(foreignRead.headers['set-cookie'], undefined, 'and the cookie is not cleared')
  const evilRead = await getSession(app, cookie, 'https://evil.example')
  t.equal(evilRead.statusCode, 401)
  t.equal(evilRead.json().code, 'BCX_UNAUTHENTICATED')
  t.equal(evilRead.headers['access-control-allow-origin'], undefined, 'no CORS grant for a foreign origin')

  const foreignApi = await api(app, cookie, '/api/me', { origin: OTHER_ORIGIN })
  t.equal(foreignApi.statusCode, 401)
  t.equal(foreignApi.json().code, 'BCX_UNAUTHENTICATED')

  const foreignDelete = await app.inject(del(OTHER_ORIGIN, cookie))
  t.equal(foreignDelete.statusCode, 403)
  t.equal(foreignDelete.json().code, 'BCX_ORIGIN_REFUSED')
  const noCsrf = await app.inject(del(ORIGIN, cookie, false))
  t.equal(noCsrf.statusCode, 403)
  t.equal(noCsrf.json().code, 'BCX_CSRF_HEADER_MISSING')
  const noOrigin = await app.inject(del(undefined, cookie))
  t.equal(noOrigin.statusCode, 403)
  t.equal(noOrigin.json().code, 'BCX_ORIGIN_REFUSED')
  const evilDelete = await app.inject(del('https://evil.example', cookie))
  t.equal(evilDelete.statusCode, 403)
  t.equal(evilDelete.json().code, 'BCX_ORIGIN_REFUSED')

  t.equal(await sessionKeyCount(redis), 1, 'the session is still in Redis')
  t.equal((await getSession(app, cookie)).statusCode, 200, 'its own origin still sees it')
  t.equal((await getSession(app, cookie, undefined)).statusCode, 200, 'a read without Origin is judged by the cookie')
})

t.test('an exchange ends the browser\'s previous session and issues a new id', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: first } = await signIn(app)
  const { cookie: next } = await signIn(app, { customerId: 77, cookie: first })
  t.not(next, first)
  t.equal((await getSession(app, first)).statusCode, 401, 'the previous session is gone')
  t.equal((await getSession(app, next)).json().customer.id, 77)
  t.equal(await sessionKeyCount(redis), 1)
})

t.test('cookie settings', async (t) => {
  const redis = await startRedis(t)
  const cases = [
    { env: { COOKIE_SAMESITE: 'lax', COOKIE_PARTITIONED: 'false' }, re: /^__Host-bc_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/ },
    { env: { COOKIE_SAMESITE: 'strict' }, re: /^__Host-bc_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; Partitioned; SameSite=Strict$/ },
    { env: { COOKIE_DOMAIN: 'shop.example.com', COOKIE_SAMESITE: 'lax', COOKIE_PARTITIONED: 'false' }, re: /^__Secure-bc_session=[^;]+; Max-Age=\d+; Domain=shop.example.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/ },
    { env: { COOKIE_NAME: 'my_session' }, re: /^my_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; Partitioned; SameSite=None$/ }
  ]
  for (const c of cases) {
    const { app } = await build(t, { redis, env: c.env })
    const res = await exchange(app, await token())
    t.match(setCookieHeader(res), c.re, JSON.stringify(c.env))
    const cookie = (setCookieHeader(res) as string).split(';', 1)[0] as string
    const end = await app.inject(del(ORIGIN, cookie))
    // The clearing header is the setting header with an empty value, Max-Age=0 and an Expires in 1970.
    const cleared = new RegExp(c.re.source.replace('=[^;]+; Max-Age=\\d+;', '=; Max-Age=0;').replace('; Path=\\/;',
      '; Path=\\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT;'))
    t.match(setCookieHeader(end), cleared, 'cleared with the same attributes')
    await app.close()
  }
})

t.test('other routes ignore the cookie: no Redis command because of it', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  await redis.client.config('RESETSTAT')
  for (const url of ['/healthz', '/docs/json', '/nowhere']) {
    await app.inject({ method: 'GET', url, headers: { origin: ORIGIN, cookie } })
  }
  await app.inject({
    method: 'OPTIONS',
    url: '/session',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', cookie }
  })
  await getSession(app, undefined)
  t.same(await commandCalls(redis.client), {}, 'no command but our own INFO')
})

t.test('an authenticated read is one Redis command', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  await redis.client.config('RESETSTAT')
  for (let i = 0; i < 10; i++) t.equal((await getSession(app, cookie)).statusCode, 200)
  for (let i = 0; i < 10; i++) t.equal((await api(app, cookie, '/api/me')).statusCode, 200)
  t.same(await commandCalls(redis.client), { getex: 20 })
})

t.test('an exchange is one Redis round trip on one node: the script reads the store cutoff itself', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  t.equal((await exchange(app, await token({ customerId: 1 }))).statusCode, 201, 'the first one loads the script')
  const sent: string[] = []
  const client = app.redis as unknown as { sendCommand: (command: { name: string }, ...rest: unknown[]) => unknown }
  const send = client.sendCommand.bind(client)
  client.sendCommand = (command, ...rest) => { sent.push(command.name); return send(command, ...rest) }
  t.equal((await exchange(app, await token({ customerId: 2 }))).statusCode, 201)
  t.same(sent, ['evalsha'])
})

t.test('CORS: allow-list, credentials, preflight', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const pre = await app.inject({
    method: 'OPTIONS',
    url: '/session',
    headers: {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-csrf'
    }
  })
  t.equal(pre.statusCode, 204)
  t.equal(pre.headers['access-control-allow-origin'], ORIGIN)
  t.equal(pre.headers['access-control-allow-credentials'], 'true')
  t.match(String(pre.headers['access-control-allow-headers']), /Content-Type/)
  t.match(String(pre.headers['access-control-allow-headers']), /X-CSRF/)
  t.match(String(pre.headers['access-control-allow-methods']), /POST/)
  t.match(String(pre.headers['access-control-allow-methods']), /DELETE/)
  t.match(String(pre.headers.vary), /Origin/)
  const upper = await app.inject({
    method: 'OPTIONS',
    url: '/session',
    headers: { origin: 'https://STORE-abc123.MyBigCommerce.com', 'access-control-request-method': 'POST' }
  })
  t.equal(upper.headers['access-control-allow-origin'], 'https://STORE-abc123.MyBigCommerce.com',
    'hosts compare case-insensitively')
  for (const origin of ['https://evil.example', 'https://mybigcommerce.com', 'https://a.b.mybigcommerce.com',
    'https://mybigcommerce.com.evil.example', 'null']) {
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/session',
      headers: { origin, 'access-control-request-method': 'POST' }
    })
    t.equal(res.headers['access-control-allow-origin'], undefined, `${origin}: no grant`)
  }
  const health = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: ORIGIN } })
  t.equal(health.headers['access-control-allow-origin'], undefined, 'no CORS outside /session and /api')
})

t.test('Cache-Control: no-store on every answer that sets, clears or reveals a session', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  const answers = {
    'GET /session 200': await getSession(app, cookie),
    'GET /api/me 200': await api(app, cookie, '/api/me'),
    'GET /session 401 clearing': await getSession(app, `${COOKIE_NAME}=bogus.sig`),
    'POST /session 403': await app.inject({ method: 'POST', url: '/session', headers: { cookie } }),
    'DELETE /session 204': await app.inject(del(ORIGIN, cookie))
  }
  for (const [what, res] of Object.entries(answers)) t.equal(res.headers['cache-control'], 'no-store', what)
  const bare = await app.inject({ method: 'OPTIONS', url: '/session', headers: { origin: ORIGIN } })
  t.equal(bare.statusCode, 204, 'a bare OPTIONS is answered as a preflight, not with a text/plain 400')
})
