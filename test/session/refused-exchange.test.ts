// A refused exchange changes nothing: the browser's current session survives a replayed, revoked,
// rate-limited or invalid token; only a successful exchange ends it (found by the exchange fuzzer).
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { build, startRedis } from '../support/app.js'
import { exchange, getSession, postSession, signIn } from '../support/session.js'
import { token, spareBitVariants } from '../support/tokens.js'

t.test('the previous session survives every refused exchange', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { RATE_LIMIT_EXCHANGE: '6' } })
  const { cookie } = await signIn(app, { customerId: 1 })
  const used = await token({ customerId: 2 })
  t.equal((await exchange(app, used)).statusCode, 201)
  const revokedToken = await token({ customerId: 3, iat: Math.floor(Date.now() / 1000) - 5 })
  await app.sessionStore.revokeCustomerSessions('abc123', 3, Math.floor(Date.now() / 1000))

  async function refusedChangingNothing (what: string, send: () => Promise<LightMyRequestResponse>, status: number,
    code: string): Promise<void> {
    const before = (await redis.client.keys('*')).sort()
    const res = await send()
    t.equal(res.statusCode, status, what)
    t.equal(res.json().code, code, what)
    t.equal(res.headers['set-cookie'], undefined, `${what}: no cookie set or cleared`)
    t.equal((await getSession(app, cookie)).statusCode, 200, `${what}: the browser's session survives`)
    const after = new Set(await redis.client.keys('*'))
    t.same(before.filter((k) => !after.has(k)), [], `${what}: nothing removed`)
  }
  const refusals: Array<[string, string, number, string]> = [
    ['replayed', used, 409, 'BCX_TOKEN_REPLAYED'],
    ['a textual variant of a used token', spareBitVariants(used)[0] as string, 409, 'BCX_TOKEN_REPLAYED'],
    ['revoked', revokedToken, 401, 'BCX_TOKEN_REVOKED'],
    ['invalid', 'a.b.c', 401, 'BCX_TOKEN_INVALID']
  ]
  for (const [what, jwt, status, code] of refusals) {
    await refusedChangingNothing(what,
      async () => await exchange(app, jwt, { cookie }), status, code)
  }
  // Customer 2's allowance (6) counts created sessions only (its replays above are free): its first
  // exchange and five more from other addresses; the next one is refused with 429 before anything else.
  for (let i = 0; i < 5; i++) {
    t.equal((await postSession(app, {
      payload: JSON.stringify({ token: await token({ customerId: 2 }) }),
      remoteAddress: `192.0.2.${i}`
    })).statusCode, 201)
  }
  const limitedToken = await token({ customerId: 2 })
  await refusedChangingNothing('rate limited',
    async () =>
      await postSession(app, {
        payload: JSON.stringify({ token: limitedToken }),
        remoteAddress: '192.0.2.9',
        headers: { cookie }
      }), 429, 'BCX_RATE_LIMITED')

  const replaced = await postSession(app, {
    payload: JSON.stringify({ token: await token({ customerId: 4 }) }),
    remoteAddress: '192.0.2.10',
    headers: { cookie }
  })
  t.equal(replaced.statusCode, 201)
  t.equal((await getSession(app, cookie)).statusCode, 401, 'a successful exchange ends it')
})
