// A webhook delivery that can never authenticate is refused before its body is read, and its connection
// closed: a client trickling (or never finishing) bodies without credentials holds no socket. Deliveries
// with credentials still have their body read and verified. A real listener and a real Redis.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, startRedis, CLIENT_SECRET } from '../support/app.js'
import { getSession, signIn } from '../support/session.js'
import { customerEvent, signedDelivery, only } from '../support/webhook-delivery.js'
import { postHead, rawRequest } from '../support/raw-http.js'
import { SLACK_MS } from '../support/time-bounds.js'

const HOOK_SECRET = 'custom-header-secret-0123456789abcdef'
const PATH = '/webhooks/bigcommerce'
const now = (): number => Math.floor(Date.now() / 1000)
type Tap = Parameters<typeof startRedis>[0]
type Test = Parameters<Parameters<typeof t.test>[0]>[0]

async function setup (t: Tap, env: Record<string, string>) {
  const redis = await startRedis(t)
  // A long request timeout: an answer within a few seconds cannot be that timeout's.
  const { app } = await build(t, { redis, env: { REQUEST_TIMEOUT_MS: '60000', ...env } })
  const { cookie } = await signIn(app, { customerId: 1 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const untouched = async (t: Test): Promise<void> => {
    t.equal((await getSession(app, cookie)).statusCode, 200, 'the customer\'s session is still alive')
    t.same(await redis.client.keys('bcx:*:c'), [], 'no revocation cutoff was written')
  }
  return { app, port, untouched }
}

t.test('no usable credentials: 401 before the body, connection closed', async (t) => {
  const { port, untouched } = await setup(t, { BC_WEBHOOK_SECRET: HOOK_SECRET })
  const json = { 'content-type': 'application/json' }
  const partial = signedDelivery(customerEvent('store/customer/deleted', 'abc123', 1, now()), CLIENT_SECRET).headers
  const cases: Array<[string, Record<string, string>]> = [
    ['no credentials', json],
    ['wrong custom header', { ...json, 'x-webhook-secret': 'not-the-secret' }],
    ['empty custom header', { ...json, 'x-webhook-secret': '' }],
    ['signature header missing', { ...json, ...only(partial, 'webhook-id', 'webhook-timestamp') }],
    ['webhook-id missing', { ...json, ...only(partial, 'webhook-timestamp', 'webhook-signature') }]
  ]
  for (const [name, headers] of cases) {
    // 16000 bytes announced, one sent: waiting for the rest would hold the socket.
    const { socket, answer } = rawRequest(port, postHead(PATH, headers, 16_000), '{')
    t.teardown(() => socket.destroy())
    const res = await Promise.race([answer, sleep(30_000).then(() => null)])
    if (res === null) {
      t.fail(`${name}: no answer within 30 s, the body was awaited`)
      continue
    }
    t.equal(res.status, 401, name)
    t.equal(JSON.parse(res.body).code, 'BCX_ADMIN_UNAUTHORIZED', name)
    t.equal(res.headers.connection, 'close', `${name}: the server closes the connection`)
    t.ok(res.closedAfterMs < 5000 + SLACK_MS,
      `${name}: closed after ${res.closedAfterMs} ms, long before the request timeout`)
  }
  await untouched(t)
})

t.test('without BC_WEBHOOK_SECRET a custom header is no credential: 401 before the body', async (t) => {
  const { port, untouched } = await setup(t, {})
  const { socket, answer } = rawRequest(port,
    postHead(PATH, { 'content-type': 'application/json', 'x-webhook-secret': HOOK_SECRET }, 16_000), '{')
  t.teardown(() => socket.destroy())
  const res = await Promise.race([answer, sleep(30_000).then(() => null)])
  t.equal(res?.status, 401)
  t.equal(res === null ? undefined : JSON.parse(res.body).code, 'BCX_ADMIN_UNAUTHORIZED')
  await untouched(t)
})

t.test('deliveries with credentials are read to the end and verified', async (t) => {
  const { port } = await setup(t, { BC_WEBHOOK_SECRET: HOOK_SECRET })
  const signed = signedDelivery(customerEvent('store/customer/updated', 'abc123', 1, now()), CLIENT_SECRET)
  const custom = {
    body: JSON.stringify(customerEvent('store/customer/updated', 'abc123', 2, now())),
    headers: { 'content-type': 'application/json', 'x-webhook-secret': HOOK_SECRET }
  }
  const forged = { body: signed.body, headers: { ...signed.headers, 'webhook-signature': 'v1,AAAA' } }
  const expected: Array<[string, typeof signed, number]> =
    [['signed', signed, 200], ['custom header', custom, 200], ['forged signature', forged, 401]]
  for (const [name, delivery, status] of expected) {
    const body = Buffer.from(delivery.body)
    const { socket, answer } =
      rawRequest(port, postHead(PATH, { ...delivery.headers, connection: 'close' }, body.length),
        body.subarray(0, 5).toString())
    t.teardown(() => socket.destroy())
    const early = await Promise.race([answer, sleep(500).then(() => null)])
    t.equal(early, null, `${name}: no answer before the body is complete`)
    socket.write(body.subarray(5))
    const res = await answer
    t.equal(res.status, status, name)
  }
})
