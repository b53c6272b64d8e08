// Without REDIS_URL the app serves sessions from the in-process store (development without Redis):
// the same rules through the same routes. What the store itself keeps (cap, revocations, listing) is
// pinned for both stores alike in test/store/contract.test.ts; the routes above it do not depend on
// which store serves.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, OTHER_ORIGIN } from '../support/app.js'
import { endSession, exchange, getSession, signIn } from '../support/session.js'
import { token } from '../support/tokens.js'

t.test('without Redis: ready, and a session is made, read, bound to its origin, ended and timed out', async (t) => {
  const { app } =
    await build(t, { redis: 'memory', env: { SESSION_IDLE_TIMEOUT: '3', SESSION_ABSOLUTE_TIMEOUT: '60' } })
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready without Redis')
  const { cookie, jwt } = await signIn(app)
  t.equal((await exchange(app, jwt)).json().code, 'BCX_TOKEN_REPLAYED', 'a token is single-use')
  t.equal((await getSession(app, cookie)).statusCode, 200)
  t.equal((await getSession(app, cookie, OTHER_ORIGIN)).statusCode, 401, 'another origin does not see it')
  t.equal((await endSession(app, cookie, OTHER_ORIGIN)).json().code, 'BCX_ORIGIN_REFUSED', 'nor ends it')
  t.equal((await endSession(app, cookie)).statusCode, 204)
  t.equal((await getSession(app, cookie)).statusCode, 401, 'ended')

  const { cookie: idle } = await signIn(app)
  await sleep(3300)
  t.equal((await getSession(app, idle)).statusCode, 401, 'idle timeout')
})

t.test('without Redis: the cap and an admin revocation hold through the routes', async (t) => {
  const adminToken = 'admin-token-0123456789-abcdefghij'
  const { app } = await build(t, {
    redis: 'memory',
    env: { SESSION_MAX_PER_CUSTOMER: '2', ADMIN_TOKEN: adminToken }
  })
  const now = Math.floor(Date.now() / 1000)
  const cookies: string[] = []
  for (let i = 0; i < 3; i++) cookies.push((await signIn(app, { iat: now - 3 + i })).cookie)
  t.equal((await getSession(app, cookies[0] as string)).statusCode, 401, 'the cap ended the oldest')
  t.equal((await getSession(app, cookies[2] as string)).statusCode, 200)

  const revoked = await app.inject({
    method: 'DELETE',
    url: '/admin/sessions?store_hash=abc123&customer_id=4927',
    headers: { authorization: `Bearer ${adminToken}` }
  })
  t.equal(revoked.statusCode, 200)
  t.equal((await getSession(app, cookies[1] as string)).statusCode, 401, 'every live session ended')
  t.equal((await getSession(app, cookies[2] as string)).statusCode, 401)
  const old = await exchange(app, await token({ iat: now - 5 }))
  t.equal(old.json().code, 'BCX_TOKEN_REVOKED', 'a token issued before the revocation is refused')
})
