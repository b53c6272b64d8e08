// DELETE /admin/sessions with ADMIN_TOKEN against a real Redis: revocation ends every live session of
// the customer or store, a token's iat ahead of the clock included, and every bad token or query is
// refused with nothing revoked.
import t from 'tap'
import { build, startRedis, CLIENT_SECRET, OTHER_ORIGIN } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { exchange, getSession, sessionCookieOf, signIn } from '../support/session.js'
import { token } from '../support/tokens.js'
import { customerEvent, signedDelivery, storeEvent } from '../support/webhook-delivery.js'

const ADMIN_TOKEN = 'admin-token-0123456789-abcdefghij'
const now = (): number => Math.floor(Date.now() / 1000)
type Tap = Parameters<typeof startRedis>[0]

async function setup (t: Tap) {
  const redis = await startRedis(t)
  const built = await build(t, { redis, env: { ADMIN_TOKEN } })
  const { app } = built
  const { cookie: a1 } = await signIn(app, { customerId: 1 })
  const { cookie: a1b } = await signIn(app, { customerId: 1 })
  const { cookie: a2 } = await signIn(app, { customerId: 2 })
  const { cookie: x1 } = await signIn(app, { customerId: 1, storeHash: 'xyz789', origin: OTHER_ORIGIN })
  const revoke = async (query: string, headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` }) =>
    await app.inject({ method: 'DELETE', url: `/admin/sessions${query}`, headers })
  const alive = async (): Promise<boolean[]> => [
    (await getSession(app, a1)).statusCode === 200,
    (await getSession(app, a1b)).statusCode === 200,
    (await getSession(app, a2)).statusCode === 200,
    (await getSession(app, x1, OTHER_ORIGIN)).statusCode === 200
  ]
  return { ...built, redis, revoke, alive, cookies: { a1, a1b, a2, x1 } }
}

t.test('revoking a customer ends their sessions and refuses their older tokens', async (t) => {
  const { app, revoke, alive, redis } = await setup(t)
  const oldToken = await token({ customerId: 1, iat: now() - 5 })
  const res = await revoke('?store_hash=abc123&customer_id=1')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { revoked: 2 })
  t.same(await alive(), [false, false, true, true], 'only customer 1 of store abc123')
  const refused = await exchange(app, oldToken)
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'BCX_TOKEN_REVOKED')
  const fresh = await exchange(app, await token({ customerId: 1, iat: now() + 2 }))
  t.equal(fresh.statusCode, 201, 'a token issued after the revocation opens a session')
  const again = await revoke('?store_hash=abc123&customer_id=1')
  t.same(again.json(), { revoked: 1 }, 'a repeated revocation ends the session opened since, whatever its token\'s iat')
  t.equal((await getSession(app, sessionCookieOf(fresh))).statusCode, 401)
  t.equal(await sessionKeyCount(redis), 2)
})

t.test('revoking a store ends every session of that store only', async (t) => {
  const { app, revoke, alive } = await setup(t)
  // The admin cutoff is the server's "now", at or after this moment, whatever the machine's load.
  const before = now()
  const res = await revoke('?store_hash=abc123')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { revoked: 3 })
  t.same(await alive(), [false, false, false, true])
  const refused = await exchange(app, await token({ customerId: 77, iat: before }))
  t.equal(refused.json().code, 'BCX_TOKEN_REVOKED', 'the store cutoff covers customers without a session')
  t.same((await revoke('?store_hash=unknown1')).json(), { revoked: 0 })
})

// A token may carry an iat up to JWT_CLOCK_TOLERANCE (60 s here) ahead of the service's clock: its
// session must end with an admin revocation all the same, though BigCommerce's created_at spares it.
for (const scope of ['customer', 'store'] as const) {
  t.test(`an admin revocation of the ${scope} ends a session whose token iat is ahead; ` +
    'a webhook of created_at now does not', async (t) => {
    const redis = await startRedis(t)
    const { app } = await build(t, { redis, env: { ADMIN_TOKEN } })
    const { cookie: ahead } = await signIn(app, { customerId: 1, iat: now() + 30 })
    const { cookie: other } = await signIn(app, { customerId: 2, iat: now() + 30 })
    const { cookie: otherStore } =
      await signIn(app, { customerId: 1, storeHash: 'xyz789', iat: now() + 30, origin: OTHER_ORIGIN })
    const status =
      async (cookie: string, origin?: string): Promise<number> => (await getSession(app, cookie, origin)).statusCode

    // BigCommerce's semantics: a token issued after the event's created_at is not the event's concern.
    const payload = scope === 'customer'
      ? customerEvent('store/customer/updated', 'abc123', 1, now())
      : storeEvent('store/app/uninstalled', 'abc123', now())
    const delivery = signedDelivery(payload, CLIENT_SECRET)
    const hook = await app.inject({
      method: 'POST',
      url: '/webhooks/bigcommerce',
      headers: delivery.headers,
      payload: delivery.body
    })
    t.equal(hook.statusCode, 200)
    t.same(hook.json(), { status: 'revoked', revoked: 0 }, 'created_at semantics: the session of a later token stays')
    t.equal(await status(ahead), 200)

    const before = now()
    const query = scope === 'customer' ? '?store_hash=abc123&customer_id=1' : '?store_hash=abc123'
    const res = await app.inject({
      method: 'DELETE',
      url: `/admin/sessions${query}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
    })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { revoked: scope === 'customer' ? 1 : 2 },
      'every live session counted, whatever its token\'s iat')
    const gone = await getSession(app, ahead)
    t.equal(gone.statusCode, 401, 'the session of a token issued ahead of the cutoff ended')
    t.equal(gone.json().code, 'BCX_UNAUTHENTICATED')
    t.equal(await status(other), scope === 'customer' ? 200 : 401,
      scope === 'customer' ? 'another customer keeps theirs' : 'the store\'s other customer too')
    t.equal(await status(otherStore, OTHER_ORIGIN), 200, 'another store is untouched')

    const keysBefore = await sessionKeyCount(redis)
    const refused = await exchange(app, await token({ customerId: 1, iat: before }))
    t.equal(refused.statusCode, 401)
    t.equal(refused.json().code, 'BCX_TOKEN_REVOKED', 'a token issued at or before the cutoff second is refused')
    t.equal(refused.headers['set-cookie'], undefined, 'no cookie for a refused exchange')
    t.equal(await sessionKeyCount(redis), keysBefore, 'and no session written')
  })
}

t.test('wrong, missing, shorter, longer and almost-right tokens: 401, nothing revoked', async (t) => {
  const { revoke, alive, cookies, redis } = await setup(t)
  const bad: Array<[string, Record<string, string>]> = [
    ['missing', {}],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['wrong', { authorization: 'Bearer not-the-admin-token' }],
    ['shorter', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ['longer', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['prefix only', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, 8)}` }],
    ['last character changed', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}k` }],
    ['first character changed', { authorization: `Bearer B${ADMIN_TOKEN.slice(1)}` }],
    ['other case', { authorization: `Bearer ${ADMIN_TOKEN.toUpperCase()}` }],
    ['trailing space', { authorization: `Bearer ${ADMIN_TOKEN} ` }],
    ['two spaces', { authorization: `Bearer  ${ADMIN_TOKEN}` }],
    ['no scheme', { authorization: ADMIN_TOKEN }],
    ['basic scheme', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
    ['in another header', { 'x-admin-token': ADMIN_TOKEN }],
    ['a session cookie instead', { cookie: cookies.a1 }],
    ['a session cookie and a wrong token', { cookie: cookies.a1, authorization: 'Bearer wrong' }]
  ]
  for (const [name, headers] of bad) {
    for (const query of ['?store_hash=abc123&customer_id=1', '?store_hash=abc123', '?store_hash=bad!hash']) {
      const res = await revoke(query, headers)
      t.equal(res.statusCode, 401, `${name} ${query}`)
      t.equal(res.json().code, 'BCX_ADMIN_UNAUTHORIZED', name)
    }
  }
  t.same(await alive(), [true, true, true, true], 'every session is still live')
  t.same(await redis.client.keys('bcx:*:c'), [], 'and no revocation cutoff was written')
})

t.test('the admin route ignores the session cookie and the cross-site rules', async (t) => {
  const { revoke, alive, cookies } = await setup(t)
  const res = await revoke('?store_hash=xyz789&customer_id=1',
    { authorization: `Bearer ${ADMIN_TOKEN}`, cookie: cookies.a1, origin: 'https://evil.example' })
  t.equal(res.statusCode, 200, 'no Origin or X-CSRF needed: the token authenticates')
  t.same(res.json(), { revoked: 1 })
  t.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS for the admin route')
  t.equal(res.headers['set-cookie'], undefined)
  t.same(await alive(), [true, true, true, false], 'the cookie\'s own session is untouched')
  t.equal((await revoke('?store_hash=abc123&customer_id=1', { authorization: `bearer ${ADMIN_TOKEN}` })).statusCode,
    200, 'the scheme is case-insensitive')
})

t.test('a missing or malformed query: 400, nothing revoked', async (t) => {
  const { revoke, alive, redis } = await setup(t)
  const queries = ['', '?', '?customer_id=1', '?store_hash=', '?store_hash=abc-123', '?store_hash=abc123%00',
    '?store_hash=' + 'a'.repeat(65),
    '?store_hash=abc123&customer_id=', '?store_hash=abc123&customer_id=0', '?store_hash=abc123&customer_id=-1',
    '?store_hash=abc123&customer_id=01', '?store_hash=abc123&customer_id=1.5', '?store_hash=abc123&customer_id=abc',
    '?store_hash=abc123&customer_id=9007199254740993', '?store_hash=abc123&customer_id=1e3',
    '?store_hash=abc123&customer_id=1&customer_id=2',
    '?store_hash=abc123&store_hash=xyz789', '?store_hash=abc123&extra=1', '?store_hash[]=abc123']
  for (const query of queries) {
    const res = await revoke(query)
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().code, 'BCX_BAD_REQUEST', query)
  }
  t.same(await alive(), [true, true, true, true])
  t.same(await redis.client.keys('bcx:*:c'), [], 'no revocation cutoff was written')
})

t.test('without ADMIN_TOKEN the admin routes do not exist', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  for (const authorization of ['Bearer ', 'Bearer anything', 'Bearer undefined']) {
    const res =
      await app.inject({ method: 'DELETE', url: '/admin/sessions?store_hash=abc123', headers: { authorization } })
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'FST_ERR_NOT_FOUND')
  }
  t.equal((await getSession(app, cookie)).statusCode, 200)
})
