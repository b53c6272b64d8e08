// The merchant page's support form: one customer's live sessions of the store, behind the page's form
// token (no cookie), without using the token up; bad input refused with its status and code.
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { eventually } from '../../support/app.js'
import { exchange, signIn } from '../../support/session.js'
import { token } from '../../support/tokens.js'
import { codeOf, formTokenOf, appModeWithStandIn, installThroughCallback } from '../../support/app-mode.js'
import { assertUnchanged, snapshot } from '../../support/redis-state.js'

const STORE = 'support1'
const ORIGIN = 'https://www.support-shop.example'
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'

t.test('a customer\'s sessions on the merchant page', async (t) => {
  const { app, redis, bc } = await appModeWithStandIn(t, { sites: { [STORE]: ORIGIN } })
  t.equal((await installThroughCallback(app, bc, STORE)).statusCode, 200)
  await eventually(async () =>
    (await exchange(app, await token({ storeHash: STORE, customerId: 77 }),
      { origin: ORIGIN })).statusCode === 201, 'installed')
  await signIn(app, { storeHash: STORE, customerId: 4927, origin: ORIGIN, userAgent: FIREFOX })

  const page =
    await app.inject({ method: 'GET', url: `/bigcommerce/load?signed_payload_jwt=${await bc.signPayload(STORE)}` })
  t.equal(page.statusCode, 200)
  t.match(page.body, 'action="/bigcommerce/sessions/customer"', 'the page has the support form')
  const formToken = formTokenOf(page.body) as string
  const lookup = async (body: string): Promise<LightMyRequestResponse> =>
    await app.inject({
      method: 'POST',
      url: '/bigcommerce/sessions/customer',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: body
    })

  // Values and deadlines before any lookup: a lookup is a read, and a refusal changes nothing either.
  const before = await snapshot(redis.client, { app })
  const found = await lookup(`form_token=${encodeURIComponent(formToken)}&customer_id=4927`)
  t.equal(found.statusCode, 200)
  t.match(found.body, 'data-sessions="1"')
  t.match(found.body, '<td>Firefox</td><td>Windows</td>', 'browser and system named')
  t.match(found.body, `<code>${ORIGIN}</code>`)
  t.match((await lookup(`form_token=${encodeURIComponent(formToken)}&customer_id=12345`)).body, 'data-sessions="0"',
    'a customer without sessions')

  for (const [body, status, code] of [
    [`form_token=${encodeURIComponent(formToken)}&customer_id=0`, 400, 'BCX_BAD_REQUEST'],
    [`form_token=${encodeURIComponent(formToken)}&customer_id=abc`, 400, 'BCX_BAD_REQUEST'],
    ['customer_id=4927', 400, 'BCX_BAD_REQUEST'],
    [`form_token=${encodeURIComponent(`${formToken.slice(0, -2)}xx`)}&customer_id=4927`, 401,
      'BCX_SIGNED_PAYLOAD_INVALID']
  ] as const) {
    const res = await lookup(body)
    t.equal(res.statusCode, status, body)
    t.equal(codeOf(res.body), code, `${body}: code`)
  }
  // No form token used up, no session slid.
  await assertUnchanged(t, redis.client, before, 'lookups and refusals', { app })

  // A lookup is a read: the same form token still signs every shopper out.
  const revoke = await app.inject({
    method: 'POST',
    url: '/bigcommerce/sessions/revoke',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `form_token=${encodeURIComponent(formToken)}`
  })
  t.equal(revoke.statusCode, 200)
  t.match(revoke.body, 'data-revoked="2"')

  // Once the app is uninstalled, the page's form token opens nothing.
  t.equal((await app.inject({
    method: 'GET',
    url: `/bigcommerce/uninstall?signed_payload_jwt=${await bc.signPayload(STORE)}`
  })).statusCode, 200)
  const afterUninstall = await lookup(`form_token=${encodeURIComponent(formToken)}&customer_id=4927`)
  t.equal(afterUninstall.statusCode, 403)
  t.equal(codeOf(afterUninstall.body), 'BCX_STORE_NOT_ALLOWED')
})
