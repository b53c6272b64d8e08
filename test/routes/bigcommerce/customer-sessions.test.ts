// The merchant page's support form: one customer's live sessions of the store, behind the page's form
// token (no cookie), without using the token up; bad input refused with its status and code.
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { startStandInBigCommerce } from '../../../src/dev/stand-in-bigcommerce.js'
import { build, CLIENT_ID, CLIENT_SECRET, eventually, startRedis } from '../../support/app.js'
import { dumpRedis } from '../../support/redis-state.js'
import { exchange, signIn } from '../../support/session.js'
import { token } from '../../support/tokens.js'
import { LOOPBACK_PUBLIC_URL, codeOf, formTokenOf, standInAppEnv } from '../../support/app-mode.js'

const PUBLIC_URL = LOOPBACK_PUBLIC_URL
const STORE = 'support1'
const ORIGIN = 'https://www.support-shop.example'
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'

t.test('a customer\'s sessions on the merchant page', async (t) => {
  const redis = await startRedis(t)
  const bc = await startStandInBigCommerce({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
  t.teardown(() => bc.close())
  bc.store(STORE).sites = [{ id: 1, channel_id: 1, url: ORIGIN, urls: [{ type: 'primary', url: `${ORIGIN}/` }] }]
  const { app } = await build(t, {
    redis,
    env: { ...standInAppEnv(bc.url), BC_STORE_HASHES: undefined, ALLOWED_ORIGINS: undefined, RATE_LIMIT_EXCHANGE: '0' }
  })
  t.equal((await app.inject({ method: 'GET', url: bc.installUrl(PUBLIC_URL, STORE).slice(PUBLIC_URL.length) })).statusCode, 200)
  await eventually(async () => (await exchange(app, await token({ storeHash: STORE, customerId: 77 }), { origin: ORIGIN })).statusCode === 201, 'installed')
  await signIn(app, { storeHash: STORE, customerId: 4927, origin: ORIGIN, userAgent: FIREFOX })

  const page = await app.inject({ method: 'GET', url: `/bigcommerce/load?signed_payload_jwt=${await bc.signPayload(STORE)}` })
  t.equal(page.statusCode, 200)
  t.match(page.body, 'action="/bigcommerce/sessions/customer"', 'the page has the support form')
  const formToken = formTokenOf(page.body) as string
  const lookup = async (body: string): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url: '/bigcommerce/sessions/customer', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body })

  // Values and deadlines before any lookup: a lookup is a read, and a refusal changes nothing either.
  const state = async (): Promise<{ dump: string, ttls: Map<string, number> }> => {
    const dump = await dumpRedis(redis.client)
    return { dump: JSON.stringify(dump), ttls: new Map(await Promise.all(dump.map(async ({ key }) => [key, await redis.client.pttl(key)] as const))) }
  }
  const before = await state()
  const found = await lookup(`form_token=${encodeURIComponent(formToken)}&customer_id=4927`)
  t.equal(found.statusCode, 200)
  t.match(found.body, 'data-sessions="1"')
  t.match(found.body, '<td>Firefox</td><td>Windows</td>', 'browser and system named')
  t.match(found.body, `<code>${ORIGIN}</code>`)
  t.match((await lookup(`form_token=${encodeURIComponent(formToken)}&customer_id=12345`)).body, 'data-sessions="0"', 'a customer without sessions')

  for (const [body, status, code] of [
    [`form_token=${encodeURIComponent(formToken)}&customer_id=0`, 400, 'BCX_BAD_REQUEST'],
    [`form_token=${encodeURIComponent(formToken)}&customer_id=abc`, 400, 'BCX_BAD_REQUEST'],
    ['customer_id=4927', 400, 'BCX_BAD_REQUEST'],
    [`form_token=${encodeURIComponent(`${formToken.slice(0, -2)}xx`)}&customer_id=4927`, 401, 'BCX_SIGNED_PAYLOAD_INVALID']
  ] as const) {
    const res = await lookup(body)
    t.equal(res.statusCode, status, body)
    t.equal(codeOf(res.body), code, `${body}: code`)
  }
  const after = await state()
  t.equal(after.dump, before.dump, 'lookups and refusals change no key or value (no form token used up)')
  t.same([...after.ttls].filter(([key, ttl]) => ttl > (before.ttls.get(key) ?? 0) + 50).map(([key]) => key), [], 'and slide no deadline')

  // A lookup is a read: the same form token still signs every shopper out.
  const revoke = await app.inject({ method: 'POST', url: '/bigcommerce/sessions/revoke', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `form_token=${encodeURIComponent(formToken)}` })
  t.equal(revoke.statusCode, 200)
  t.match(revoke.body, 'data-revoked="2"')

  // Once the app is uninstalled, the page's form token opens nothing.
  t.equal((await app.inject({ method: 'GET', url: `/bigcommerce/uninstall?signed_payload_jwt=${await bc.signPayload(STORE)}` })).statusCode, 200)
  const afterUninstall = await lookup(`form_token=${encodeURIComponent(formToken)}&customer_id=4927`)
  t.equal(afterUninstall.statusCode, 403)
  t.equal(codeOf(afterUninstall.body), 'BCX_STORE_NOT_ALLOWED')
})
