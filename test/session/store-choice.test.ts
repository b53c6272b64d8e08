// The in-process store keeps the same rules as Redis (development without Redis).
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, ORIGIN, OTHER_ORIGIN } from '../support/app.js'
import { exchange, getSession, sessionCookieOf } from '../support/session.js'
import { token } from '../support/tokens.js'

t.test('the whole flow on the in-process store', async (t) => {
  const { app } = await build(t, { redis: 'memory', env: { SESSION_IDLE_TIMEOUT: '1', SESSION_ABSOLUTE_TIMEOUT: '60', SESSION_MAX_PER_CUSTOMER: '2' } })
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  const jwt = await token()
  const created = await exchange(app, jwt)
  t.equal(created.statusCode, 201)
  const cookie = sessionCookieOf(created) as string
  t.equal((await exchange(app, jwt)).json().code, 'BCX_TOKEN_REPLAYED')
  t.equal((await getSession(app, cookie)).statusCode, 200)
  t.equal((await getSession(app, cookie, OTHER_ORIGIN)).statusCode, 401)
  const foreign = await app.inject({ method: 'DELETE', url: '/session', headers: { origin: OTHER_ORIGIN, 'x-csrf': '1', cookie } })
  t.equal(foreign.json().code, 'BCX_ORIGIN_REFUSED')
  await sleep(1200)
  t.equal((await getSession(app, cookie)).statusCode, 401, 'idle timeout')

  const cookies = []
  for (let i = 0; i < 3; i++) {
    const res = await exchange(app, await token({ iat: Math.floor(Date.now() / 1000) - 3 + i }))
    t.equal(res.statusCode, 201)
    cookies.push(sessionCookieOf(res) as string)
  }
  t.equal((await getSession(app, cookies[0])).statusCode, 401, 'the cap ended the oldest')
  t.equal((await getSession(app, cookies[2])).statusCode, 200)
  const revoked = await app.sessionStore.revokeCustomerSessions('abc123', 4927, Math.floor(Date.now() / 1000))
  t.equal(revoked, 2)
  t.equal((await getSession(app, cookies[2])).statusCode, 401)
  t.equal((await exchange(app, await token({ iat: Math.floor(Date.now() / 1000) - 5 }))).json().code, 'BCX_TOKEN_REVOKED')
  const ended = await app.inject({ method: 'DELETE', url: '/session', headers: { origin: ORIGIN, 'x-csrf': '1', cookie: cookies[2] as string } })
  t.equal(ended.statusCode, 204)
})
