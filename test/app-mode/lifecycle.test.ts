// The app's whole lifecycle on two stores with different origins, through the real callbacks, a real
// Redis and the stand-in BigCommerce over HTTP: install, exchange bound to each store's origins, the
// merchant page and its button, script repair, uninstall (seen by a second instance too), and every
// bad callback input refused with its status and code, changing nothing.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { build, CLIENT_ID, eventually, startRedis } from '../support/app.js'
import { exchange, getSession, sessionCookieOf } from '../support/session.js'
import { token } from '../support/tokens.js'
import { signedPayload } from '../support/signed-payload.js'
import {
  LOOPBACK_PUBLIC_URL, codeOf, formTokenOf, liveSessionsOf, standInAppEnv, standInBigCommerce
} from '../support/app-mode.js'
import { assertUnchanged, snapshot } from '../support/redis-state.js'

const PUBLIC_URL = LOOPBACK_PUBLIC_URL
const STATIC_ORIGIN = 'https://static.example'
const S1 = 's1abc'
const S2 = 's2xyz'
const S1_ORIGIN = 'https://www.shop-one.example'
const S2_ORIGIN = 'https://www.shop-two.example'

const pathOf = (url: string): string => url.slice(PUBLIC_URL.length)

t.test('app lifecycle', async (t) => {
  const redis = await startRedis(t)
  const bc = await standInBigCommerce(t, { [S1]: S1_ORIGIN, [S2]: S2_ORIGIN })
  const env = {
    ...standInAppEnv(bc.url),
    BC_STORE_HASHES: undefined,
    ALLOWED_ORIGINS: STATIC_ORIGIN
  }
  const { app, logs } = await build(t, { redis, env })
  const { app: second } = await build(t, { redis, env })
  const get =
    async (on: FastifyInstance, url: string): Promise<LightMyRequestResponse> => await on.inject({ method: 'GET', url })
  const load = async (store: string): Promise<LightMyRequestResponse> =>
    await get(app, `/bigcommerce/load?signed_payload_jwt=${await bc.signPayload(store)}`)
  const s1Token = async (): Promise<string> => await token({ storeHash: S1 })

  t.test('the callbacks are in the OpenAPI document, answering text/html', async (t) => {
    const doc = (await get(app, '/docs/json')).json() as {
      paths: Record<string, Record<string,
        { responses: Record<string, { content?: Record<string, unknown> }> }>>
    }
    for (const path of ['/bigcommerce/auth', '/bigcommerce/load', '/bigcommerce/uninstall',
      '/bigcommerce/remove-user']) {
      t.ok(doc.paths[path]?.get?.responses['200']?.content?.['text/html'], path)
    }
    t.ok(doc.paths['/bigcommerce/sessions/revoke']?.post, 'the merchant button')
  })

  t.test('before the install, s1 tokens are refused', async (t) => {
    const unknownOrigin = await exchange(app, await s1Token(), { origin: S1_ORIGIN })
    t.equal(unknownOrigin.statusCode, 403)
    t.equal(unknownOrigin.json().code, 'BCX_ORIGIN_REFUSED', 'its origin is not known yet')
    const notServed = await exchange(app, await s1Token(), { origin: STATIC_ORIGIN })
    t.equal(notServed.statusCode, 403)
    t.equal(notServed.json().code, 'BCX_STORE_NOT_ALLOWED', 'the store is not served yet')
  })

  let s1Cookie: string | undefined
  await t.test('install s1', async (t) => {
    const res = await get(app, pathOf(bc.installUrl(PUBLIC_URL, S1)))
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/html/)
    t.match(res.body, S1_ORIGIN)
    const scriptCall = bc.requests.find((r) => r.method === 'POST' && r.path === `/stores/${S1}/v3/content/scripts`)
    t.match(scriptCall?.body, {
      consent_category: 'essential',
      auto_uninstall: true,
      kind: 'script_tag',
      location: 'footer',
      visibility: 'storefront',
      load_method: 'default'
    })
    const tag = `<script src="${PUBLIC_URL}/storefront.js" data-client-id="${CLIENT_ID}" ` +
      'data-customer-id="{{customer.id}}"></script>'
    t.match((scriptCall?.body as { html: string }).html, tag)
    const hooks = bc.requests.filter((r) => r.method === 'POST' && r.path === `/stores/${S1}/v3/hooks`).map((r) =>
      r.body as { scope: string, destination: string })
    t.same(hooks.map((h) => h.scope).sort(),
      ['store/app/uninstalled', 'store/customer/deleted', 'store/customer/updated'])
    t.ok(hooks.every((h) => h.destination === `${PUBLIC_URL}/webhooks/bigcommerce`))
    const token = bc.requests.find((r) => r.path === '/oauth2/token')?.body as Record<string, string>
    t.match(token, {
      redirect_uri: `${PUBLIC_URL}/bigcommerce/auth`,
      context: `stores/${S1}`,
      grant_type: 'authorization_code',
      client_id: CLIENT_ID
    })
    t.notOk(logs.join('').includes([...bc.store(S1).tokens][0] as string), 'the access token is never logged')

    await eventually(async () => (await exchange(app, await s1Token(), { origin: S1_ORIGIN })).statusCode === 201,
      's1 token exchanged from s1 origin')
    const res201 = await exchange(app, await s1Token(), { origin: S1_ORIGIN })
    t.equal(res201.statusCode, 201)
    s1Cookie = sessionCookieOf(res201)
  })

  await t.test('install s2: an origin of one store exchanges only its tokens', async (t) => {
    t.equal((await get(app, pathOf(bc.installUrl(PUBLIC_URL, S2)))).statusCode, 200)
    await eventually(async () =>
      (await exchange(app, await token({ storeHash: S2 }),
        { origin: S2_ORIGIN })).statusCode === 201, 's2 token from s2 origin')
    const refused = await exchange(app, await s1Token(), { origin: S2_ORIGIN })
    t.equal(refused.statusCode, 403)
    t.equal(refused.json().code, 'BCX_ORIGIN_REFUSED')
  })

  await t.test('load: the merchant page; its button ends every s1 session', async (t) => {
    const page = await load(S1)
    t.equal(page.statusCode, 200)
    t.match(page.body, S1_ORIGIN)
    t.match(page.body, /installed/)
    const live = (await redis.client.keys(`bcx:{${S1}:*}:s:*`)).length
    t.ok(live >= 1)
    t.equal(liveSessionsOf(page.body), String(live), 'the live sessions of s1')
    t.equal(page.headers['cache-control'], 'no-store')
    t.equal(page.headers['referrer-policy'], 'no-referrer')
    const formToken = formTokenOf(page.body)
    t.ok(formToken)
    const post = async (body: string): Promise<LightMyRequestResponse> =>
      await app.inject({
        method: 'POST',
        url: '/bigcommerce/sessions/revoke',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: body
      })
    const forged = formToken?.replace(S1, S2) as string
    const before = await snapshot(redis.client)
    const forms: Array<[string, string]> =
      [['no token', ''], ['another store', `form_token=${forged}`], ['garbage', 'form_token=abc']]
    for (const [name, body] of forms) {
      const res = await post(body)
      t.equal(res.statusCode, name === 'no token' ? 400 : 401, name)
      t.equal(codeOf(res.body), name === 'no token' ? 'BCX_BAD_REQUEST' : 'BCX_SIGNED_PAYLOAD_INVALID', name)
    }
    await assertUnchanged(t, redis.client, before, 'refused forms change nothing')
    t.equal((await getSession(app, s1Cookie, S1_ORIGIN)).statusCode, 200)
    const done = await post(`form_token=${encodeURIComponent(formToken as string)}`)
    t.equal(done.statusCode, 200)
    t.match(done.body, `data-revoked="${live}"`)
    t.equal((await getSession(app, s1Cookie, S1_ORIGIN)).statusCode, 401, 'the session ended')
    const again = await post(`form_token=${encodeURIComponent(formToken as string)}`)
    t.equal(again.statusCode, 401, 'a form token is used once')
    t.equal(liveSessionsOf((await load(S1)).body), '0')
  })

  await t.test('load repairs a script the merchant deleted', async (t) => {
    bc.store(S1).scripts.clear()
    const page = await load(S1)
    t.equal(page.statusCode, 200)
    t.equal(bc.store(S1).scripts.size, 1, 'created again')
    t.match([...bc.store(S1).scripts.values()][0], { consent_category: 'essential', auto_uninstall: true })
    t.notMatch(page.body, /Needs attention/)
  })

  await t.test('every bad callback input: its status and code, nothing changed', async (t) => {
    const used = await bc.signPayload(S1)
    t.equal((await get(app, `/bigcommerce/load?signed_payload_jwt=${used}`)).statusCode, 200)
    const payloads: Array<[string, string, number, string]> = [
      ['wrong signature', signedPayload(S1, {}, { secret: 'not-the-client-secret-0123' }), 401,
        'BCX_SIGNED_PAYLOAD_INVALID'],
      ['wrong aud', await bc.signPayload(S1, { claims: { aud: 'another-app' } }), 401, 'BCX_SIGNED_PAYLOAD_INVALID'],
      ['wrong iss', await bc.signPayload(S1, { claims: { iss: 'bc/apps' } }), 401, 'BCX_SIGNED_PAYLOAD_INVALID'],
      ['wrong sub', await bc.signPayload(S1, { claims: { sub: S1 } }), 401, 'BCX_SIGNED_PAYLOAD_INVALID'],
      ['expired', await bc.signPayload(S1, { iat: Math.floor(Date.now() / 1000) - 7200, ttl: 3600 }), 401,
        'BCX_SIGNED_PAYLOAD_INVALID'],
      ['no jti', await bc.signPayload(S1, { omit: ['jti'] }), 401, 'BCX_SIGNED_PAYLOAD_INVALID'],
      ['reused jti', used, 401, 'BCX_SIGNED_PAYLOAD_INVALID'],
      ['HS512', signedPayload(S1, {}, { alg: 'HS512' }), 401, 'BCX_SIGNED_PAYLOAD_INVALID'],
      ['alg none', signedPayload(S1, {}, { alg: 'none' }), 401, 'BCX_SIGNED_PAYLOAD_INVALID'],
      ['a store not installed', await bc.signPayload('s9none'), 403, 'BCX_STORE_NOT_ALLOWED']
    ]
    const cases: Array<[string, string, number, string]> = [
      ...payloads.map(([name, jwt, status, code]): [string, string, number, string] =>
        [`load: ${name}`, `/bigcommerce/load?signed_payload_jwt=${encodeURIComponent(jwt)}`, status, code]),
      ...payloads.filter(([name]) => name !== 'a store not installed')
        .map(([name, jwt, status, code]): [string, string, number, string] =>
          [`uninstall: ${name}`, `/bigcommerce/uninstall?signed_payload_jwt=${encodeURIComponent(jwt)}`, status, code]),
      ['load: no signed_payload_jwt', '/bigcommerce/load', 400, 'BCX_BAD_REQUEST'],
      ['uninstall: no signed_payload_jwt', '/bigcommerce/uninstall', 400, 'BCX_BAD_REQUEST'],
      ['remove-user: wrong signature',
        `/bigcommerce/remove-user?signed_payload_jwt=${signedPayload(S1, {}, { secret: 'nope-nope-nope-nope' })}`, 401,
        'BCX_SIGNED_PAYLOAD_INVALID'],
      ['auth: no context', `/bigcommerce/auth?code=${bc.issueCode(S1)}&scope=x`, 400, 'BCX_BAD_REQUEST'],
      ['auth: foreign context', `/bigcommerce/auth?code=${bc.issueCode(S1)}&scope=x&context=channels/1`, 400,
        'BCX_BAD_REQUEST'],
      ['auth: context with a path', `/bigcommerce/auth?code=${bc.issueCode(S1)}&scope=x&context=stores/${S1}/../x`,
        400, 'BCX_BAD_REQUEST'],
      ['auth: no code', `/bigcommerce/auth?scope=x&context=stores/${S1}`, 400, 'BCX_BAD_REQUEST']
    ]
    const before = await snapshot(redis.client)
    const calls = bc.requests.length
    for (const [name, url, status, code] of cases) {
      const res = await get(app, url)
      t.equal(res.statusCode, status, name)
      t.equal(codeOf(res.body), code, name)
      t.match(res.headers['content-type'], /^text\/html/, name)
    }
    await assertUnchanged(t, redis.client, before, 'Redis unchanged')
    t.equal(bc.requests.length, calls, 'BigCommerce received nothing')

    const refused = await get(app, `/bigcommerce/auth?code=not-a-code&scope=x&context=stores/${S1}`)
    t.equal(refused.statusCode, 502, 'a code the token endpoint refuses')
    t.equal(codeOf(refused.body), 'BCX_BIGCOMMERCE_REFUSED')
    t.match(refused.body, /Install the app again/)
    await assertUnchanged(t, redis.client, before, 'Redis unchanged after the refused code')
    t.same(bc.requests.slice(calls).map((r) => r.path), ['/oauth2/token'], 'only the token endpoint was asked')
  })

  await t.test('remove-user: acknowledged', async (t) => {
    t.equal((await get(app, `/bigcommerce/remove-user?signed_payload_jwt=${await bc.signPayload(S1)}`)).statusCode, 200)
  })

  await t.test('uninstall s1: every session ends, its tokens are refused, here and on another instance', async (t) => {
    // Tokens issued in the second of the merchant's revocation are refused: the next second's are not.
    let res = await exchange(app, await s1Token(), { origin: S1_ORIGIN })
    await eventually(async () =>
      (res = await exchange(app, await s1Token(), { origin: S1_ORIGIN })).statusCode === 201, 'a new s1 session')
    const cookie = sessionCookieOf(res)
    const fromStatic = await exchange(second, await s1Token(), { origin: STATIC_ORIGIN })
    t.equal(fromStatic.statusCode, 201, 'an unbound allowed origin exchanges s1 tokens while installed')
    const hookIds = [...bc.store(S1).hooks.keys()]
    t.equal(hookIds.length, 3)

    const live = (await redis.client.keys(`bcx:{${S1}:*}:s:*`)).length
    t.ok(live >= 2)
    const done = await get(app, `/bigcommerce/uninstall?signed_payload_jwt=${await bc.signPayload(S1)}`)
    t.equal(done.statusCode, 200)
    t.match(done.body, `data-revoked="${live}"`)
    t.equal((await redis.client.keys(`bcx:{${S1}:*}:s:*`)).length, 0, 'no s1 session left')
    t.equal(await redis.client.exists(`bcx:{app:${S1}}:install`), 0, 'its install record deleted')
    t.equal(bc.store(S1).hooks.size, 0, 'its hooks deleted')
    t.equal((await getSession(app, cookie, S1_ORIGIN)).statusCode, 401, 'cookie -> 401')
    t.equal((await getSession(second, sessionCookieOf(fromStatic), STATIC_ORIGIN)).statusCode, 401,
      'on the other instance too')
    for (const [name, on] of [['this instance', app], ['another instance', second]] as const) {
      await eventually(async () =>
        (await exchange(on, await s1Token(),
          { origin: STATIC_ORIGIN })).json().code === 'BCX_STORE_NOT_ALLOWED', `s1 refused on ${name}`)
      const refused = await exchange(on, await s1Token(), { origin: STATIC_ORIGIN })
      t.equal(refused.statusCode, 403, name)
      t.equal(refused.json().code, 'BCX_STORE_NOT_ALLOWED', name)
    }
    const loadAfter = await load(S1)
    t.equal(loadAfter.statusCode, 403, 'load after uninstall')
    t.equal(codeOf(loadAfter.body), 'BCX_STORE_NOT_ALLOWED')
    t.equal((await exchange(app, await token({ storeHash: S2 }), { origin: S2_ORIGIN })).statusCode, 201,
      's2 unaffected')
  })
})
