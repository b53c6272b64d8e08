// The BigCommerce client over real HTTP against the stand-in: rate limits, 429s, timeouts, redirects,
// refusals, and calls with bodies.
import t from 'tap'
import { createBigCommerceClient, type BigCommerceClientOptions } from '../../src/bigcommerce/client.js'
import { bigcommerceStatus } from '../../src/bigcommerce/failures.js'
import type { RetryableError } from '../../src/errors.js'
import { StoreQuotas } from '../../src/bigcommerce/quotas.js'
import { startStandInBigCommerce } from '../../src/dev/stand-in-bigcommerce.js'
import { SLACK_MS } from '../support/time-bounds.js'

type Tap = { teardown: (fn: () => unknown) => void }

async function setup (t: Tap, options: Partial<BigCommerceClientOptions> = {}) {
  const bc = await startStandInBigCommerce()
  t.teardown(() => bc.close())
  const token = bc.grantToken('abc123')
  const seen: Array<[string, number]> = []
  const quotas = new StoreQuotas((store, left) => seen.push([store, left]))
  const client =
    createBigCommerceClient({ storeHash: 'abc123', accessToken: token, apiUrl: bc.url, quotas, ...options })
  return { bc, token, client, seen }
}

const SITES = '/stores/abc123/v3/sites'

t.test('a store whose quota is spent: the next call waits for the window to reset, then goes', async (t) => {
  const { bc, client, seen } = await setup(t)
  Object.assign(bc.store('abc123'), { quota: 1, windowMs: 1500 })
  await client.get('/v3/sites')
  t.same(seen, [['abc123', 0]], 'the quota left is reported')
  const started = Date.now()
  t.match(await client.get('/v3/sites'), { data: Array })
  t.ok(Date.now() - started >= 700, 'it waited for the reset')
  t.equal(bc.calls(SITES), 2, 'no call was spent on a 429')
  t.equal(bc.requests.filter((r) => r.path === SITES).length, 2)
})

t.test('a quota that resets later than the bound: 503 at once, with its Retry-After, nothing sent', async (t) => {
  const { bc, client } = await setup(t)
  Object.assign(bc.store('abc123'), { quota: 1, windowMs: 20_000 })
  await client.get('/v3/sites')
  const started = Date.now()
  const err = await client.get('/v3/sites').then(() => null, (e: RetryableError) => e)
  t.equal(err?.code, 'BCX_BIGCOMMERCE_THROTTLED')
  t.equal(err?.statusCode, 503)
  t.ok(err !== null && err.retryAfter >= 15 && err.retryAfter <= 20, `Retry-After ${String(err?.retryAfter)}`)
  t.ok(Date.now() - started < 2000 + SLACK_MS, 'it did not wait the 15 s')
  t.equal(bc.calls(SITES), 1, 'BigCommerce was not asked again')
})

t.test('a 429 with a short Retry-After: one retry, which succeeds', async (t) => {
  const { bc, client } = await setup(t)
  bc.throttleNext(1, 1)
  const started = Date.now()
  t.match(await client.get('/v3/sites'), { data: Array })
  t.ok(Date.now() - started >= 800, 'it waited Retry-After')
  t.equal(bc.calls(SITES), 2)
})

t.test('a second 429, or a long Retry-After: 503 BCX_BIGCOMMERCE_THROTTLED with its Retry-After', async (t) => {
  const { bc, client } = await setup(t)
  bc.throttleNext(3, 1)
  const twice = await client.get('/v3/sites').then(() => null, (e: RetryableError) => e)
  t.equal(twice?.code, 'BCX_BIGCOMMERCE_THROTTLED')
  t.equal(twice?.retryAfter, 1)
  t.equal(bc.calls(SITES), 2, 'one retry only')

  bc.throttleNext(1, 30)
  const long = await client.get('/v3/sites').then(() => null, (e: RetryableError) => e)
  t.equal(long?.code, 'BCX_BIGCOMMERCE_THROTTLED')
  t.equal(long?.retryAfter, 30)
  t.equal(bc.calls(SITES), 3, 'no retry for a long wait')
})

t.test('no answer within the timeout: 504 BCX_BIGCOMMERCE_TIMEOUT', async (t) => {
  const { bc, client } = await setup(t, { timeoutMs: 300 })
  bc.fault = 'hang'
  const started = Date.now()
  const err = await client.get('/v3/sites').then(() => null, (e: Error & { code?: string, statusCode?: number }) => e)
  t.equal(err?.code, 'BCX_BIGCOMMERCE_TIMEOUT')
  t.equal(err?.statusCode, 504)
  t.ok(Date.now() - started < 300 + SLACK_MS, 'the timeout ended the call')
})

t.test('a redirect is not followed: the token goes nowhere else', async (t) => {
  const { bc, client } = await setup(t)
  bc.fault = 'redirect'
  const err = await client.get('/v3/sites').then(() => null, (e: Error & { code?: string }) => e)
  t.equal(err?.code, 'BCX_BIGCOMMERCE_REFUSED')
  t.equal(bigcommerceStatus(err), 302)
  t.same(bc.requests.map((r) => r.path), [SITES], 'the redirect target was never asked')
})

t.test('refusals keep BigCommerce\'s status; the token is in no message', async (t) => {
  const { bc, token } = await setup(t)
  const stranger = createBigCommerceClient({ storeHash: 'abc123', accessToken: 'not-issued', apiUrl: bc.url })
  const err = await stranger.get('/v3/sites').then(() => null, (e: Error & { code?: string, statusCode?: number }) => e)
  t.equal(err?.code, 'BCX_BIGCOMMERCE_REFUSED')
  t.equal(err?.statusCode, 502)
  t.equal(bigcommerceStatus(err), 401)
  const own = createBigCommerceClient({ storeHash: 'abc123', accessToken: token, apiUrl: bc.url })
  const missing = await own.get('/v3/content/scripts/nope').then(() => null, (e: Error) => e)
  t.equal(bigcommerceStatus(missing), 404)
  t.notOk(`${String(missing?.message)} ${String((missing?.cause as Error).message)}`.includes(token))
  bc.fault = 'garbage'
  t.equal(bigcommerceStatus(await own.get('/v3/sites').catch((e: unknown) => e)), null,
    'malformed JSON: refused, no status')
  await t.rejects(own.get('https://elsewhere.example/v3/sites'), TypeError, 'only /v2/ and /v3/ paths')
})

t.test('POST, PUT and DELETE send JSON bodies; 204 is null', async (t) => {
  const { bc, client, token } = await setup(t)
  const created =
    await client.post('/v3/content/scripts', { name: 'bcx', html: '<script></script>' }) as { data: { uuid: string } }
  const uuid = created.data.uuid
  t.match(await client.put(`/v3/content/scripts/${uuid}`, { enabled: false }),
    { data: { uuid, enabled: false, name: 'bcx' } })
  t.equal(await client.delete(`/v3/content/scripts/${uuid}`), null)
  t.equal(bc.store('abc123').scripts.size, 0)
  t.same(bc.requests.map((r) => [r.method, r.body]),
    [['POST', { name: 'bcx', html: '<script></script>' }], ['PUT', { enabled: false }], ['DELETE', undefined]])
  t.ok(bc.requests.every((r) => r.token === token))
  t.same(await client.get('/v2/orders', { customer_id: 1 }), null, 'a v2 list with no entries')
})
