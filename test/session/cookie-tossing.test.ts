// Cookie tossing: only our exact cookie name is read; with duplicates the first occurrence wins,
// every time; a session id anywhere else (query string, Authorization) is ignored.
import t from 'tap'
import { build, startRedis, COOKIE_NAME, ORIGIN } from '../support/app.js'
import { getSession, signIn } from '../support/session.js'

t.test('only the exact name is read', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: pair } = await signIn(app)
  const value = pair.slice(COOKIE_NAME.length + 1)
  t.equal((await getSession(app, pair)).statusCode, 200, 'the real cookie works')
  t.equal((await getSession(app, `other=1; ${pair}`)).statusCode, 200, 'and so it does after another cookie')

  for (const name of ['__host-bc_session', '__HOST-bc_session', 'bc_session', '__Secure-bc_session',
    '__Host-bc_session2',
    'x__Host-bc_session', '__Host-bc_Session', '__Host-bc%5Fsession', '__Host-bc_session[]']) {
    const res = await getSession(app, `${name}=${value}`)
    t.equal(res.statusCode, 401, `${name}: 401`)
    t.equal(res.json().code, 'BCX_UNAUTHENTICATED')
    t.equal(res.headers['set-cookie'], undefined, `${name}: not ours, so not cleared either`)
  }
  const me = await app.inject({
    method: 'GET',
    url: '/api/me',
    headers: { 'x-csrf': '1', origin: ORIGIN, cookie: `bc_session=${value}` }
  })
  t.equal(me.statusCode, 401, '/api reads the same way')
  t.equal(me.json().code, 'BCX_UNAUTHENTICATED')
})

t.test('duplicates: the first occurrence wins, deterministically', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: a } = await signIn(app, { customerId: 1 })
  const { cookie: b } = await signIn(app, { customerId: 2 })
  const junk = `${COOKIE_NAME}=s%3Ajunk.signature`

  for (let round = 0; round < 5; round++) {
    const ab = await getSession(app, `${a}; ${b}`)
    t.equal(ab.json().customer.id, 1, 'a then b: a')
    const ba = await getSession(app, `${b}; other=1; ${a}`)
    t.equal(ba.json().customer.id, 2, 'b then a: b')
    t.equal((await getSession(app, `${a}; ${junk}`)).statusCode, 200,
      'a valid first cookie is not spoiled by a later one')
    const junkFirst = await getSession(app, `${junk}; ${a}`)
    t.equal(junkFirst.statusCode, 401, 'a tossed cookie placed first shadows the real one: 401, never another session')
    t.equal(junkFirst.json().code, 'BCX_UNAUTHENTICATED')
  }
  t.equal((await getSession(app, a)).statusCode, 200, 'the shadowed session itself is untouched')
})

t.test('a session id in the query string or Authorization header is ignored', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: pair } = await signIn(app)
  const value = pair.slice(COOKIE_NAME.length + 1)
  const sid = decodeURIComponent(value).replace(/\.[^.]+$/, '')

  for (const url of [`/session?${pair}`, `/session?session=${value}`, `/session?sid=${encodeURIComponent(sid)}`,
    `/api/me?${pair}`]) {
    const res = await app.inject({ method: 'GET', url, headers: { 'x-csrf': '1', origin: ORIGIN } })
    t.equal(res.statusCode, 401, url.slice(0, 30))
    t.equal(res.json().code, 'BCX_UNAUTHENTICATED')
  }
  for (const authorization of [`Bearer ${value}`, `Bearer ${sid}`, value, `Cookie ${pair}`]) {
    const res =
      await app.inject({ method: 'GET', url: '/session', headers: { 'x-csrf': '1', origin: ORIGIN, authorization } })
    t.equal(res.statusCode, 401, `Authorization: ${authorization.slice(0, 12)}…`)
    t.equal(res.json().code, 'BCX_UNAUTHENTICATED')
  }
  const ended = await app.inject({
    method: 'DELETE',
    url: `/session?${pair}`,
    headers: { origin: ORIGIN, 'x-csrf': '1', authorization: `Bearer ${value}` }
  })
  t.equal(ended.statusCode, 204)
  t.equal((await getSession(app, pair)).statusCode, 200, 'a DELETE with the id outside the cookie ends nothing')
})
