import t from 'tap'
import {
  errorJson, json, JANE, JOHN, loadScript, PAGE, SERVICE, tokenFor, type Call
} from '../support/storefront-script.js'

type Test = Pick<typeof t, 'equal'>

const codeOf =
  async (p: Promise<unknown>): Promise<unknown> => await p.then(() => 'resolved', (err: { code?: string }) => err.code)

function assertServiceCallsCarryCredentials (t: Test, calls: Call[]): void {
  for (const call of calls.filter((c) => c.url.startsWith(SERVICE))) {
    t.equal(call.credentials, 'include', `${call.method} ${call.url} includes credentials`)
    t.equal(call.headers['x-csrf'], '1', `${call.method} ${call.url} carries X-CSRF: 1`)
  }
}

t.test('without a hint', async (t) => {
  t.test('a guest with no session: one token fetch, one GET /session, null', async (t) => {
    const page = loadScript()
    t.equal(await page.BcSession.ready(), null)
    t.same(page.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`).sort(),
      ['GET /customer/current.jwt', 'GET /session'])
    const tokenCall = page.calls.find((c) => c.url.includes('current.jwt')) as Call
    t.equal(tokenCall.url, `${PAGE}/customer/current.jwt?app_client_id=cid`,
      'the token comes from the store\'s own domain')
    t.equal(tokenCall.credentials, 'same-origin')
    assertServiceCallsCarryCredentials(t, page.calls)
  })

  t.test('a guest calling a protected route: the 401 stands, no second token fetch', async (t) => {
    const page = loadScript()
    t.equal(await page.BcSession.ready(), null)
    t.equal((await page.BcSession.fetch('/api/me')).status, 401)
    t.equal(page.count('GET /customer/current.jwt'), 1, 'the store said 404 once on this page: enough')
    t.equal(page.count('POST /session'), 0)
  })

  t.test('a guest with a live session ends it', async (t) => {
    const page = loadScript({ world: { session: JOHN } })
    t.equal(await page.BcSession.ready(), null)
    t.equal(page.count('DELETE /session'), 1)
    t.equal(page.count('POST /session'), 0)
    t.equal(page.world.session, null)
    assertServiceCallsCarryCredentials(t, page.calls)
  })

  t.test('a signed-in shopper without a session exchanges once and confirms the cookie', async (t) => {
    const page = loadScript({ world: { shopper: JOHN } })
    t.same(await page.BcSession.ready(), JOHN)
    t.equal(page.count('POST /session'), 1)
    const post = page.calls.find((c) => c.method === 'POST') as Call
    t.equal(post.headers['content-type'], 'application/json')
    t.match(JSON.parse(post.body as string).token, /^[\w-]+\.[\w-]+\.[\w-]+$/)
    t.equal(page.count('GET /session'), 2, 'the first read, then the confirmation after the 201')
    assertServiceCallsCarryCredentials(t, page.calls)
  })

  t.test('the same customer as the session: no exchange', async (t) => {
    const page = loadScript({ world: { shopper: JOHN, session: JOHN } })
    t.same(await page.BcSession.ready(), JOHN)
    t.equal(page.count('POST /session'), 0)
    t.equal(page.calls.length, 2)
  })

  t.test('another customer than the session: exchanges for the new one', async (t) => {
    const page = loadScript({ world: { shopper: JANE, session: JOHN } })
    t.same(await page.BcSession.ready(), JANE)
    t.equal(page.count('POST /session'), 1)
    t.same(page.world.session, JANE)
  })

  t.test('the same customer id on another store is another customer', async (t) => {
    const other = { ...JOHN, store_hash: 'xyz789' }
    const page = loadScript({ world: { shopper: other, session: JOHN } })
    t.same(await page.BcSession.ready(), other)
    t.equal(page.count('POST /session'), 1)
  })

  t.test('the store may answer a JSON body {token}', async (t) => {
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: { 'GET /customer/current.jwt': async () => json(200, { token: await tokenFor(JOHN) }) }
    })
    t.same(await page.BcSession.ready(), JOHN)
  })
})

t.test('with data-customer-id', async (t) => {
  t.test('matching the session: one GET /session and nothing else', async (t) => {
    const page = loadScript({
      attributes: { 'data-client-id': 'cid', 'data-customer-id': '4927' },
      world: { shopper: JOHN, session: JOHN }
    })
    t.same(await page.BcSession.ready(), JOHN)
    t.same(page.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`), ['GET /session'])
  })

  t.test('an empty hint (guest) with a live session ends it', async (t) => {
    const page =
      loadScript({ attributes: { 'data-client-id': 'cid', 'data-customer-id': '' }, world: { session: JOHN } })
    t.equal(await page.BcSession.ready(), null)
    t.same(page.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`), ['GET /session', 'DELETE /session'])
    t.equal(page.world.session, null)
  })

  t.test('an empty hint without a session: one GET /session', async (t) => {
    const page = loadScript({ attributes: { 'data-client-id': 'cid', 'data-customer-id': '' } })
    t.equal(await page.BcSession.ready(), null)
    t.equal(page.calls.length, 1)
  })

  t.test('a different id re-exchanges', async (t) => {
    const page = loadScript({
      attributes: { 'data-client-id': 'cid', 'data-customer-id': '5001' },
      world: { shopper: JANE, session: JOHN }
    })
    t.same(await page.BcSession.ready(), JANE)
    t.equal(page.count('GET /customer/current.jwt'), 1)
    t.equal(page.count('POST /session'), 1)
  })

  t.test('a hint the store contradicts (404): the store wins, the session ends', async (t) => {
    const page = loadScript({
      attributes: { 'data-client-id': 'cid', 'data-customer-id': '5001' },
      world: { shopper: null, session: JOHN }
    })
    t.equal(await page.BcSession.ready(), null)
    t.equal(page.count('POST /session'), 0)
    t.equal(page.count('DELETE /session'), 1)
  })
})

t.test('races and revocations', async (t) => {
  t.test('409, and the other tab\'s session is readable: no retry', async (t) => {
    let posts = 0
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: {
        'POST /session': (_c, w) => {
          posts++
          w.session = JOHN
          return errorJson(409, 'BCX_TOKEN_REPLAYED')
        }
      }
    })
    t.same(await page.BcSession.ready(), JOHN)
    t.equal(posts, 1)
    t.same(page.delays, [])
  })

  t.test('409 and still 401: waits about a second, fetches a fresh token, exchanges once more', async (t) => {
    let posts = 0
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: {
        'POST /session': (_c, w) => {
          if (++posts === 1) return errorJson(409, 'BCX_TOKEN_REPLAYED')
          w.session = JOHN
          return json(201, {})
        }
      }
    })
    t.same(await page.BcSession.ready(), JOHN)
    t.equal(posts, 2)
    t.equal(page.count('GET /customer/current.jwt'), 2, 'a fresh token for the second exchange')
    t.equal(page.delays.length, 1)
    t.ok((page.delays[0] as number) >= 1000 && (page.delays[0] as number) <= 2000, `waited ${page.delays[0]} ms`)
  })

  t.test('409 twice: rejects with the service\'s code, no third exchange', async (t) => {
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: { 'POST /session': () => errorJson(409, 'BCX_TOKEN_REPLAYED') }
    })
    t.equal(await codeOf(page.BcSession.ready()), 'BCX_TOKEN_REPLAYED')
    t.equal(page.count('POST /session'), 2)
  })

  t.test('BCX_TOKEN_REVOKED: waits, fetches a fresh token, exchanges once more', async (t) => {
    let posts = 0
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: {
        'POST /session': (_c, w) => {
          if (++posts === 1) return errorJson(401, 'BCX_TOKEN_REVOKED')
          w.session = JOHN
          return json(201, {})
        }
      }
    })
    t.same(await page.BcSession.ready(), JOHN)
    t.equal(posts, 2)
    t.ok((page.delays[0] as number) >= 1000)
  })

  t.test('revoked twice: rejects with BCX_TOKEN_REVOKED after two exchanges', async (t) => {
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: { 'POST /session': () => errorJson(401, 'BCX_TOKEN_REVOKED', 'revoked') }
    })
    const err =
      await page.BcSession.ready().then(() => null, (e: { code: string, status: number, message: string }) => e)
    t.match(err, { code: 'BCX_TOKEN_REVOKED', status: 401, message: 'revoked' })
    t.equal(page.count('POST /session'), 2)
  })

  t.test('the shopper signed out during the wait: null', async (t) => {
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: { 'POST /session': (_c, w) => { w.shopper = null; return errorJson(401, 'BCX_TOKEN_REVOKED') } }
    })
    t.equal(await page.BcSession.ready(), null)
    t.equal(page.count('POST /session'), 1)
  })
})

t.test('cookies blocked: a 201 followed by a 401', async (t) => {
  const page = loadScript({ world: { shopper: JOHN, dropCookie: true } })
  const err = await page.BcSession.ready().then(() => null, (e: Error & { code: string }) => e)
  t.equal(err?.code, 'cookies_blocked')
  t.match(err?.message, /cookie/)
  t.equal(page.count('POST /session'), 1)
  const before = page.calls.length
  t.equal(await codeOf(page.BcSession.ready()), 'cookies_blocked', 'ready() again rejects at once')
  t.equal(await codeOf(page.BcSession.fetch('/api/me')), 'cookies_blocked', 'fetch() rejects at once')
  t.equal(page.calls.length, before, 'no further calls')
  t.same(page.consoleLines, [], 'nothing on the console')
})

t.test('errors reject with a code and a clear message', async (t) => {
  t.test('the service\'s code passes through', async (t) => {
    const refusal = (): Response => errorJson(403, 'BCX_STORE_NOT_ALLOWED', 'The store is not served by this service')
    const page = loadScript({ world: { shopper: JOHN }, handlers: { 'POST /session': refusal } })
    const err = await page.BcSession.ready().then(() => null, (e: unknown) => e)
    t.match(err, {
      name: 'BcSessionError',
      code: 'BCX_STORE_NOT_ALLOWED',
      status: 403,
      message: 'The store is not served by this service'
    })
    t.equal(page.count('POST /session'), 1)
  })

  t.test('the service unreachable (or refusing the origin by CORS): network_error', async (t) => {
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: { 'GET /session': () => { throw new TypeError('Failed to fetch') } }
    })
    t.equal(await codeOf(page.BcSession.ready()), 'network_error')
    t.equal(page.count('POST /session'), 0)
  })

  t.test('the store\'s token endpoint failing: token_unavailable', async (t) => {
    const page = loadScript({ handlers: { 'GET /customer/current.jwt': () => new Response('oops', { status: 500 }) } })
    const err = await page.BcSession.ready().then(() => null, (e: unknown) => e)
    t.match(err, { code: 'token_unavailable', status: 500 })
  })

  t.test('no data-client-id: config_error and no call', async (t) => {
    const page = loadScript({ attributes: {} })
    t.equal(await codeOf(page.BcSession.ready()), 'config_error')
    t.equal(page.calls.length, 0)
  })

  t.test('a 5xx without our shape: unexpected_response', async (t) => {
    const page =
      loadScript({ handlers: { 'GET /session': () => new Response('<html>bad gateway</html>', { status: 502 }) } })
    t.equal(await codeOf(page.BcSession.ready()), 'unexpected_response')
  })

  t.test('after a transient failure, ready() tries again', async (t) => {
    let fail = true
    const session = { customer: JOHN, store_hash: JOHN.store_hash, expires_at: '' }
    const page = loadScript({
      world: { shopper: JOHN, session: JOHN },
      handlers: { 'GET /session': (c, w) => fail ? errorJson(503, 'BCX_STORE_UNAVAILABLE') : json(200, session) }
    })
    t.equal(await codeOf(page.BcSession.ready()), 'BCX_STORE_UNAVAILABLE')
    fail = false
    t.same(await page.BcSession.ready(),
      { id: JOHN.id, email: JOHN.email, group_id: JOHN.group_id, store_hash: JOHN.store_hash })
  })

  t.test('nothing is ever logged', async (t) => {
    const page = loadScript({
      world: { shopper: JOHN },
      handlers: { 'POST /session': () => errorJson(403, 'BCX_ORIGIN_REFUSED') }
    })
    await page.settle()
    await page.BcSession.fetch('/api/me').catch(() => {})
    t.same(page.consoleLines, [])
  })
})

t.test('ready() starts on load and is memoised for the page', async (t) => {
  const page = loadScript({ world: { shopper: JOHN } })
  t.ok(page.calls.length > 0, 'calls started before anyone asked')
  const [a, b] = await Promise.all([page.BcSession.ready(), page.BcSession.ready()])
  t.same(a, b)
  t.equal(page.count('POST /session'), 1)
  t.equal(page.count('GET /customer/current.jwt'), 1)
})

t.test('loaded twice on a page: the first BcSession stays', async (t) => {
  const page = loadScript({ world: { shopper: JOHN } })
  const first = page.BcSession
  const before = page.calls.length
  page.runAgain()
  t.equal(page.BcSession, first)
  t.equal(page.calls.length, before)
})

t.test('fetch()', async (t) => {
  t.test('calls the service with the cookie and X-CSRF, keeping the caller\'s init', async (t) => {
    const page = loadScript({ world: { shopper: JOHN, session: JOHN } })
    await page.settle()
    const res = await page.BcSession.fetch('/api/me', { headers: { Accept: 'application/json', 'X-Trace': 'abc' } })
    t.equal(res.status, 200)
    const call = page.calls.at(-1) as Call
    t.equal(call.url, `${SERVICE}/api/me`)
    t.equal(call.credentials, 'include')
    t.equal(call.headers['x-csrf'], '1')
    t.equal(call.headers['x-trace'], 'abc')
    t.equal(call.headers.accept, 'application/json')
  })

  t.test('a 401 re-exchanges once and retries once', async (t) => {
    const page = loadScript({ world: { shopper: JOHN, session: JOHN } })
    await page.settle()
    page.world.session = null // the session ended (idle timeout, revocation, ...)
    const res = await page.BcSession.fetch('/api/me', { method: 'GET' })
    t.equal(res.status, 200)
    t.equal(page.count('POST /session'), 1)
    t.equal(page.count('GET /api/me'), 2)
    t.same(await page.BcSession.ready(), JOHN)
  })

  t.test('a 401 again after the re-exchange is returned, not retried', async (t) => {
    const page = loadScript({
      world: { shopper: JOHN, session: JOHN },
      handlers: { 'GET /api/me': () => errorJson(401, 'BCX_UNAUTHENTICATED') }
    })
    await page.settle()
    const res = await page.BcSession.fetch('/api/me')
    t.equal(res.status, 401)
    t.equal(page.count('POST /session'), 1)
    t.equal(page.count('GET /api/me'), 2)
  })

  t.test('a 401 of a guest: no exchange, the 401 comes back', async (t) => {
    const page = loadScript()
    await page.settle()
    const res = await page.BcSession.fetch('/api/me')
    t.equal(res.status, 401)
    t.equal((await res.json()).code, 'BCX_UNAUTHENTICATED', 'the body is still readable')
    t.equal(page.count('POST /session'), 0)
    t.equal(page.count('GET /api/me'), 1)
  })

  t.test('a 401 with another code is not a missing session', async (t) => {
    const page = loadScript({
      world: { shopper: JOHN, session: JOHN },
      handlers: { 'GET /api/me': () => errorJson(401, 'UPSTREAM_DENIED') }
    })
    await page.settle()
    t.equal((await page.BcSession.fetch('/api/me')).status, 401)
    t.equal(page.count('POST /session'), 0)
  })

  t.test('concurrent 401s share one re-exchange', async (t) => {
    const page = loadScript({ world: { shopper: JOHN, session: JOHN } })
    await page.settle()
    page.world.session = null
    const all = await Promise.all([page.BcSession.fetch('/api/me'), page.BcSession.fetch('/api/me'),
      page.BcSession.fetch('/api/me')])
    t.same(all.map((r) => r.status), [200, 200, 200])
    t.equal(page.count('POST /session'), 1)
  })

  t.test('waits for the exchange in flight instead of racing it', async (t) => {
    const page = loadScript({ world: { shopper: JOHN } })
    const res = await page.BcSession.fetch('/api/me')
    t.equal(res.status, 200)
    t.equal(page.count('POST /session'), 1)
    t.equal(page.count('GET /api/me'), 1)
  })

  t.test('refuses a URL outside its service', async (t) => {
    const page = loadScript({ world: { session: null } })
    await page.settle()
    const before = page.calls.length
    t.equal(await codeOf(page.BcSession.fetch('https://evil.example/steal')), 'bad_path')
    t.equal(await codeOf(page.BcSession.fetch('//evil.example/steal')), 'bad_path')
    t.equal(page.calls.length, before)
  })
})

t.test('logout()', async (t) => {
  const page = loadScript({ world: { shopper: JOHN, session: JOHN } })
  await page.settle()
  await page.BcSession.logout()
  const del = page.calls.at(-1) as Call
  t.equal(del.method, 'DELETE')
  t.equal(del.url, `${SERVICE}/session`)
  t.equal(del.credentials, 'include')
  t.equal(del.headers['x-csrf'], '1')
  t.equal(page.world.session, null)
  t.equal(await page.BcSession.ready(), null, 'ready() gives null for the rest of the page')
  const res = await page.BcSession.fetch('/api/me')
  t.equal(res.status, 401, 'fetch() does not sign the shopper back in')
  t.equal(page.count('POST /session'), 0)

  t.test('a refused logout rejects with the code', async (t) => {
    const page = loadScript({
      world: { session: JOHN },
      handlers: { 'DELETE /session': () => errorJson(403, 'BCX_ORIGIN_REFUSED') }
    })
    await page.settle()
    t.equal(await codeOf(page.BcSession.logout()), 'BCX_ORIGIN_REFUSED')
  })
})
