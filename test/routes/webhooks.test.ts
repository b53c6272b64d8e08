// POST /webhooks/bigcommerce against a real Redis: signed and custom-header deliveries revoke, retries
// change nothing, and every bad delivery is refused with nothing revoked.
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { build, startRedis, CLIENT_SECRET, OTHER_ORIGIN } from '../support/app.js'
import { exchange, getSession, signIn } from '../support/session.js'
import { token } from '../support/tokens.js'
import { customerEvent, signedDelivery, type Delivery, only, storeEvent } from '../support/webhook-delivery.js'
import { bigCommerceWebhookVerifier } from '../../src/routes/webhooks.js'

const PREVIOUS_SECRET = 'previous-client-secret-9876543210'
const HOOK_SECRET = 'custom-header-secret-0123456789abcdef'
const now = (): number => Math.floor(Date.now() / 1000)
type Tap = Parameters<typeof startRedis>[0]

async function setup (t: Tap, env: Record<string, string> = { BC_WEBHOOK_SECRET: HOOK_SECRET }) {
  const redis = await startRedis(t)
  const built = await build(t, { redis, env: { BC_CLIENT_SECRET: `${CLIENT_SECRET},${PREVIOUS_SECRET}`, ...env } })
  const { app } = built
  const { cookie: c1 } = await signIn(app, { customerId: 1 })
  const { cookie: c1b } = await signIn(app, { customerId: 1 })
  const { cookie: c2 } = await signIn(app, { customerId: 2 })
  const { cookie: x1 } = await signIn(app, { customerId: 1, storeHash: 'xyz789', origin: OTHER_ORIGIN })
  const deliver = async ({ body, headers }: Delivery) =>
    await app.inject({ method: 'POST', url: '/webhooks/bigcommerce', headers, payload: body })
  const alive = async (): Promise<boolean[]> => [
    (await getSession(app, c1)).statusCode === 200,
    (await getSession(app, c1b)).statusCode === 200,
    (await getSession(app, c2)).statusCode === 200,
    (await getSession(app, x1, OTHER_ORIGIN)).statusCode === 200
  ]
  const cutoffKeys = async (): Promise<string[]> => await redis.client.keys('bcx:*:c')
  return { ...built, redis, deliver, alive, cutoffKeys, cookies: { c1, c1b, c2, x1 } }
}

const withSecretHeader = (payload: unknown, secret = HOOK_SECRET): Delivery =>
  ({ body: JSON.stringify(payload), headers: { 'content-type': 'application/json', 'x-webhook-secret': secret } })

t.test('the keying matches BigCommerce: raw client secret, base64-encoded for standardwebhooks', async (t) => {
  const delivery = signedDelivery({ a: 1 }, CLIENT_SECRET)
  t.doesNotThrow(() => bigCommerceWebhookVerifier(CLIENT_SECRET).verify(delivery.body, delivery.headers))
  t.throws(() => new Webhook(CLIENT_SECRET).verify(delivery.body, delivery.headers),
    'the secret as a base64 key would be the wrong key')
})

t.test('a signed store/customer/deleted revokes that customer; retries change nothing', async (t) => {
  const { app, deliver, alive } = await setup(t)
  const oldToken = await token({ customerId: 1, iat: now() - 5 })
  const createdAt = now()
  const delivery = signedDelivery(customerEvent('store/customer/deleted', 'abc123', 1, createdAt), CLIENT_SECRET)
  const res = await deliver(delivery)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'revoked', revoked: 2 })
  t.same(await alive(), [false, false, true, true], 'customer 1 of abc123 only')
  const refused = await exchange(app, oldToken)
  t.equal(refused.json().code, 'BCX_TOKEN_REVOKED')

  const { cookie: later } = await signIn(app, { customerId: 1, iat: createdAt + 1 })
  t.ok(later, 'a token issued after created_at opens a session')
  for (let i = 0; i < 3; i++) {
    const retry = await deliver(delivery)
    t.equal(retry.statusCode, 200, 'BigCommerce\'s retry of the same delivery')
    t.same(retry.json(), { status: 'revoked', revoked: 0 })
  }
  t.equal((await getSession(app, later)).statusCode, 200, 'the retries did not end the newer session')
})

t.test('store/customer/updated signed with the previous client secret (rotation) revokes too', async (t) => {
  const { deliver, alive } = await setup(t)
  const res =
    await deliver(signedDelivery(customerEvent('store/customer/updated', 'abc123', 2, now()), PREVIOUS_SECRET))
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'revoked', revoked: 1 })
  t.same(await alive(), [true, true, false, true])
})

t.test('the X-Webhook-Secret custom header authenticates a delivery', async (t) => {
  const { deliver, alive } = await setup(t)
  const res = await deliver(withSecretHeader(customerEvent('store/customer/updated', 'xyz789', 1, now())))
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'revoked', revoked: 1 })
  t.same(await alive(), [true, true, true, false])
})

t.test('store/app/uninstalled revokes the whole store', async (t) => {
  const { app, deliver, alive } = await setup(t)
  const createdAt = now()
  const res = await deliver(signedDelivery(storeEvent('store/app/uninstalled', 'abc123', createdAt), CLIENT_SECRET))
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'revoked', revoked: 3 })
  t.same(await alive(), [false, false, false, true])
  t.equal((await exchange(app, await token({ customerId: 55, iat: createdAt }))).json().code,
    'BCX_TOKEN_REVOKED', 'a token issued in the second of the event is refused')
})

t.test('other scopes and stores outside BC_STORE_HASHES: 200, ignored, logged', async (t) => {
  const { deliver, alive, cutoffKeys, logs } = await setup(t)
  const order = {
    scope: 'store/order/created',
    store_id: '1',
    data: { type: 'order', id: 250 },
    hash: 'x',
    created_at: now(),
    producer: 'stores/abc123'
  }
  for (const delivery of [
    signedDelivery(order, CLIENT_SECRET),
    signedDelivery(customerEvent('store/customer/created', 'abc123', 1, now()), CLIENT_SECRET),
    signedDelivery(customerEvent('store/customer/deleted', 'zzz999', 1, now()), CLIENT_SECRET),
    withSecretHeader({ ...order, scope: 'store/app/uninstalled', producer: 'stores/zzz999' })
  ]) {
    const res = await deliver(delivery)
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ignored', revoked: 0 })
  }
  t.same(await alive(), [true, true, true, true])
  t.same(await cutoffKeys(), [], 'no cutoff recorded')
  t.match(logs.join(''), /webhook ignored: scope not handled/)
  t.match(logs.join(''), /webhook ignored: store not served/)
})

t.test('bad authentication: 401, nothing revoked', async (t) => {
  const { deliver, alive, cutoffKeys, cookies } = await setup(t)
  const payload = customerEvent('store/customer/deleted', 'abc123', 1, now())
  const good = signedDelivery(payload, CLIENT_SECRET)
  const signature = good.headers['webhook-signature'] ?? ''
  const other = JSON.stringify(customerEvent('store/customer/deleted', 'abc123', 2, now()))
  const bad: Array<[string, Delivery]> = [
    ['no credentials', { body: good.body, headers: { 'content-type': 'application/json' } }],
    ['a session cookie alone',
      { body: good.body, headers: { 'content-type': 'application/json', cookie: cookies.c1 } }],
    ['wrong custom header', withSecretHeader(payload, 'not-the-secret')],
    ['shorter custom header', withSecretHeader(payload, HOOK_SECRET.slice(0, -1))],
    ['longer custom header', withSecretHeader(payload, `${HOOK_SECRET}x`)],
    ['almost-right custom header', withSecretHeader(payload, `${HOOK_SECRET.slice(0, -1)}X`)],
    ['empty custom header', withSecretHeader(payload, '')],
    ['the client secret as custom header', withSecretHeader(payload, CLIENT_SECRET)],
    ['signature over a different body', { body: other, headers: good.headers }],
    ['stale timestamp', signedDelivery(payload, CLIENT_SECRET, { timestamp: now() - 6 * 60 })],
    ['timestamp from the future', signedDelivery(payload, CLIENT_SECRET, { timestamp: now() + 6 * 60 })],
    ['keyed with another secret', signedDelivery(payload, 'some-other-apps-client-secret')],
    ['keyed with the custom-header secret', signedDelivery(payload, HOOK_SECRET)],
    ['another webhook-id', { body: good.body, headers: { ...good.headers, 'webhook-id': 'msg_other' } }],
    ['another timestamp header',
      { body: good.body, headers: { ...good.headers, 'webhook-timestamp': String(now() - 1) } }],
    ['unknown signature version',
      { body: good.body, headers: { ...good.headers, 'webhook-signature': signature.replace('v1,', 'v2,') } }],
    ['signature header missing',
      { body: good.body, headers: only(good.headers, 'content-type', 'webhook-id', 'webhook-timestamp') }],
    ['truncated signature',
      { body: good.body, headers: { ...good.headers, 'webhook-signature': signature.slice(0, -2) } }]
  ]
  for (const [name, delivery] of bad) {
    const res = await deliver(delivery)
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'BCX_ADMIN_UNAUTHORIZED', name)
  }
  t.same(await alive(), [true, true, true, true])
  t.same(await cutoffKeys(), [])
})

t.test('without BC_WEBHOOK_SECRET the custom header authenticates nothing; signatures still work', async (t) => {
  const { deliver, alive } = await setup(t, {})
  const payload = customerEvent('store/customer/deleted', 'abc123', 1, now())
  for (const secret of [HOOK_SECRET, '', 'undefined']) {
    const res = await deliver(withSecretHeader(payload, secret))
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'BCX_ADMIN_UNAUTHORIZED')
  }
  t.same(await alive(), [true, true, true, true])
  t.equal((await deliver(signedDelivery(payload, CLIENT_SECRET))).statusCode, 200)
  t.same(await alive(), [false, false, true, true])
})

t.test('malformed payloads, authenticated: 400, nothing revoked', async (t) => {
  const { deliver, alive, cutoffKeys } = await setup(t)
  const base = customerEvent('store/customer/deleted', 'abc123', 1, now())
  const bodies: Array<[string, string]> = [
    ['not JSON', '{"scope": "store/customer/deleted", '],
    ['empty', ''],
    ['an array', JSON.stringify([base])],
    ['a string', '"store/customer/deleted"'],
    ['null', 'null'],
    ['no scope', JSON.stringify({ ...base, scope: undefined })],
    ['no producer', JSON.stringify({ ...base, producer: undefined })],
    ['producer not a store', JSON.stringify({ ...base, producer: 'apps/12345' })],
    ['producer without a hash', JSON.stringify({ ...base, producer: 'stores/' })],
    ['producer with more path', JSON.stringify({ ...base, producer: 'stores/abc123/x' })],
    ['producer with a bad hash', JSON.stringify({ ...base, producer: 'stores/abc*' })],
    ['created_at missing', JSON.stringify({ ...base, created_at: undefined })],
    ['created_at a string', JSON.stringify({ ...base, created_at: String(now()) })],
    ['created_at fractional', JSON.stringify({ ...base, created_at: now() + 0.5 })],
    ['customer event without data.id', JSON.stringify({ ...base, data: { type: 'customer' } })],
    ['customer event with data.id 0', JSON.stringify({ ...base, data: { type: 'customer', id: 0 } })],
    ['customer event with data.id a string', JSON.stringify({ ...base, data: { type: 'customer', id: '1' } })]
  ]
  for (const [name, body] of bodies) {
    for (const delivery of [signedDelivery(null, CLIENT_SECRET, { body }),
      { body, headers: withSecretHeader(null).headers }]) {
      const res = await deliver(delivery)
      t.equal(res.statusCode, 400, name)
      t.equal(res.json().code, 'BCX_BAD_REQUEST', name)
    }
  }
  t.same(await alive(), [true, true, true, true])
  t.same(await cutoffKeys(), [])
})

t.test('other content types and oversized bodies are refused by Fastify', async (t) => {
  const { app, alive, cutoffKeys } = await setup(t)
  const payload = JSON.stringify(customerEvent('store/customer/deleted', 'abc123', 1, now()))
  const plain = await app.inject({
    method: 'POST',
    url: '/webhooks/bigcommerce',
    headers: { 'content-type': 'text/plain', 'x-webhook-secret': HOOK_SECRET },
    payload
  })
  t.equal(plain.statusCode, 415)
  t.equal(plain.json().code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
  const big = await app.inject({
    method: 'POST',
    url: '/webhooks/bigcommerce',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': HOOK_SECRET },
    payload: payload.slice(0,
      -1) + `,"pad":"${'x'.repeat(20_000)}"}`
  })
  t.equal(big.statusCode, 413)
  t.equal(big.json().code, 'FST_ERR_CTP_BODY_TOO_LARGE')
  t.same(await alive(), [true, true, true, true])
  t.same(await cutoffKeys(), [])
})
