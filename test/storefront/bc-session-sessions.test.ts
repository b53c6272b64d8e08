// BcSession.sessions() and BcSession.logout({ everywhere: true }).
import t from 'tap'
import { errorJson, json, JOHN, loadScript, SERVICE, type Call } from '../support/storefront-script.js'

const LISTED = [
  { handle: 'AAAAAAAAAAAAAAAA', created_at: '2024-01-02T03:04:05.000Z', last_seen_at: '2024-01-02T03:10:00.000Z', expires_at: '2024-01-02T03:40:00.000Z', origin: 'https://store-abc123.mybigcommerce.com', browser: 'Chrome', os: 'Windows', current: true },
  {
    handle: 'BBBBBBBBBBBBBBBB',
    created_at: '2024-01-02T04:04:05.000Z',
    last_seen_at: null,
    expires_at: '2024-01-02T04:40:00.000Z',
    origin: null,
    browser: 'Safari',
    os: 'iOS',
    current: false
  }
]

const listHandler = (_call: Call, w: { session: unknown }): Response =>
  w.session === null ? errorJson(401, 'BCX_UNAUTHENTICATED') : json(200, { sessions: LISTED })

function serviceCalls (calls: Call[]): Call[] {
  return calls.filter((c) => c.url.startsWith(SERVICE))
}

t.test('sessions(): the list of a signed-in shopper, with the cookie and X-CSRF: 1', async (t) => {
  const page = loadScript({ world: { shopper: JOHN, session: JOHN }, handlers: { 'GET /session/list': listHandler } })
  t.same(await page.BcSession.sessions(), LISTED)
  t.equal(page.count('GET /session/list'), 1)
  for (const c of serviceCalls(page.calls)) {
    t.equal(c.credentials, 'include', `${c.method} ${c.url}`)
    t.equal(c.headers['x-csrf'], '1', `${c.method} ${c.url}`)
  }
})

t.test('sessions(): a guest has none, and no second token fetch', async (t) => {
  const page = loadScript({ handlers: { 'GET /session/list': listHandler } })
  t.same(await page.BcSession.sessions(), [])
  t.equal(page.count('GET /customer/current.jwt'), 1)
  t.equal(page.count('POST /session'), 0)
})

t.test('sessions(): a session ended elsewhere is exchanged again once, then listed', async (t) => {
  let first = true
  const page = loadScript({
    world: { shopper: JOHN, session: JOHN },
    handlers: {
      'GET /session/list': (call, w) => {
        // This browser's session was ended from another one: the first list call meets a 401.
        if (first) { first = false; w.session = null; return errorJson(401, 'BCX_UNAUTHENTICATED') }
        return listHandler(call, w)
      }
    }
  })
  t.same(await page.BcSession.sessions(), LISTED)
  t.equal(page.count('POST /session'), 1, 'one re-exchange')
  t.equal(page.count('GET /session/list'), 2)
})

t.test('sessions(): a refusal rejects with the service\'s code; a body without sessions is unexpected', async (t) => {
  const refused = loadScript({
    world: { shopper: JOHN, session: JOHN },
    handlers: { 'GET /session/list': () => errorJson(503, 'BCX_STORE_UNAVAILABLE') }
  })
  await t.rejects(refused.BcSession.sessions(), { name: 'BcSessionError', code: 'BCX_STORE_UNAVAILABLE', status: 503 })
  const odd = loadScript({
    world: { shopper: JOHN, session: JOHN },
    handlers: { 'GET /session/list': () => json(200, { nope: 1 }) }
  })
  await t.rejects(odd.BcSession.sessions(), { code: 'unexpected_response' })
})

t.test('logout({ everywhere: true }): DELETE /session/list?scope=all, then ready() gives null', async (t) => {
  let url = ''
  const page = loadScript({
    world: { shopper: JOHN, session: JOHN },
    handlers: {
      'DELETE /session/list': (call, w) => {
        url = call.url
        w.session = null
        return new Response(null, { status: 204 })
      }
    }
  })
  t.same(await page.BcSession.ready(), JOHN)
  await page.BcSession.logout({ everywhere: true })
  t.equal(url, `${SERVICE}/session/list?scope=all`)
  t.equal(page.count('DELETE /session'), 0, 'not the single-session form')
  t.equal(await page.BcSession.ready(), null)
  const del = page.calls.find((c) => c.method === 'DELETE') as Call
  t.equal(del.credentials, 'include')
  t.equal(del.headers['x-csrf'], '1')
})

t.test('logout({ everywhere: true }) without a session resolves; a refusal rejects', async (t) => {
  const none = loadScript({ handlers: { 'DELETE /session/list': () => errorJson(401, 'BCX_UNAUTHENTICATED') } })
  await t.resolves(none.BcSession.logout({ everywhere: true }))
  const refused = loadScript({
    world: { shopper: JOHN, session: JOHN },
    handlers: { 'DELETE /session/list': () => errorJson(403, 'BCX_ORIGIN_REFUSED') }
  })
  await t.rejects(refused.BcSession.logout({ everywhere: true }), { code: 'BCX_ORIGIN_REFUSED', status: 403 })
})

t.test('logout() and logout({}) still end this session only', async (t) => {
  for (const options of [undefined, {}, { everywhere: false }]) {
    const page = loadScript({ world: { shopper: JOHN, session: JOHN } })
    await page.BcSession.ready()
    await page.BcSession.logout(options)
    t.equal(page.count('DELETE /session'), 1, JSON.stringify(options))
    t.equal(page.count('DELETE /session/list'), 0)
  }
})
