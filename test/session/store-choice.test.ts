// Without REDIS_URL the app serves sessions from the in-process store (development without Redis):
// the same rules through the same routes. What the store itself keeps (cap, revocations, listing) is
// pinned for both stores alike in test/store/contract.test.ts; the routes above it do not depend on
// which store serves.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, OTHER_ORIGIN } from '../support/app.js'
import { endSession, exchange, getSession, signIn } from '../support/session.js'

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
