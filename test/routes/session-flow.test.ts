import t from 'tap'
import { build, startRedis, ORIGIN } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { exchange, getSession, sessionCookieOf, setCookieHeader, signIn, api, endSession } from '../support/session.js'
import { token } from '../support/tokens.js'

t.test('exchange, read, end: the whole flow against a real Redis', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })

  const created = await exchange(app, await token({ email: 'john.doe@gmail.com', groupId: '6' }))
  t.equal(created.statusCode, 201)
  const body = created.json()
  t.same(body.customer, { id: 4927, email: 'john.doe@gmail.com', group_id: '6' })
  t.equal(body.store_hash, 'abc123')
  t.ok(Date.parse(body.expires_at) > Date.now())
  t.equal(created.headers['cache-control'], 'no-store')
  t.equal(created.headers['access-control-allow-origin'], ORIGIN)
  t.equal(created.headers['access-control-allow-credentials'], 'true')
  const setCookie = setCookieHeader(created) as string
  t.match(setCookie,
    /^__Host-bc_session=[^;]+; Max-Age=28(800|799); Path=\/; HttpOnly; Secure; Partitioned; SameSite=None$/)
  const cookie = sessionCookieOf(created) as string
  t.equal(await sessionKeyCount(redis), 1)

  const read = await getSession(app, cookie)
  t.equal(read.statusCode, 200)
  t.same(read.json().customer, body.customer)
  t.equal(read.headers['set-cookie'], undefined, 'a read sets no cookie')

  const ended = await endSession(app, cookie)
  t.equal(ended.statusCode, 204)
  t.match(setCookieHeader(ended), /^__Host-bc_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; Partitioned; SameSite=None$/)
  t.equal(await sessionKeyCount(redis), 0)

  const after = await getSession(app, cookie)
  t.equal(after.statusCode, 401)
  t.equal(after.json().code, 'BCX_UNAUTHENTICATED')
})

t.test('GET /api/me answers like GET /session', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  const me = await api(app, cookie, '/api/me')
  const session = await getSession(app, cookie)
  t.equal(me.statusCode, 200)
  t.same(me.json().customer, session.json().customer)
  t.equal(me.json().store_hash, 'abc123')
  const none = await api(app, undefined, '/api/me')
  t.equal(none.statusCode, 401)
  t.equal(none.json().code, 'BCX_UNAUTHENTICATED')
})
