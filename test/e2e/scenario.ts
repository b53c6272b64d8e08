// The seven browser proofs of the storefront flow, run in order in one browser profile for a deployment.
import { request, type Cookie } from 'playwright-core'
import type { TAP } from 'tap'
import { COOKIE_NAME } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { open, outcome, reload, setUpStage, signIn, signOut, type Deployment, type Stage } from './harness.js'

type Test = Parameters<Parameters<TAP['test']>[0]>[0]

export interface Expectations {
  /** What the stored cookie must look like in this deployment. */
  cookie: { sameSite: Cookie['sameSite'], partitionKey: string | undefined }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function sessionCookies (s: Stage): Promise<Cookie[]> {
  return (await s.context.cookies(s.serviceUrl)).filter((c) => c.name === COOKIE_NAME)
}

export async function browserProof (t: Test, d: Deployment, expect: Expectations): Promise<void> {
  const s = await setUpStage(t, d)
  const { page, store } = s

  await t.test('5. a guest page load makes no exchange and ready() gives null', async (t) => {
    await page.goto(`${store.url}/`)
    const integrity =
      await page.evaluate(() => document.querySelector('script[data-client-id]')?.getAttribute('integrity') ?? null)
    if (d.pinned) {
      t.match(integrity, /^sha384-/,
        'the versioned URL loads under Subresource Integrity (crossorigin="anonymous")')
    } else t.equal(integrity, null, 'the bare URL')
    for (const url of [`${store.url}/`, `${store.url}/?hint=1`]) {
      const mark = s.requests.length
      const seen = await open(page, url)
      t.equal(seen.error, undefined, url)
      t.equal(seen.customer, null, `${url}: ready() gives null`)
      t.equal(s.count('POST', '/session', mark), 0, `${url}: no exchange`)
      t.equal(s.count('DELETE', '/session', mark), 0, `${url}: no session to end`)
      t.equal(seen.me?.status, 401, `${url}: the protected route refuses a guest`)
    }
    t.same(await sessionCookies(s), [])
  })

  await t.test('1. a signed-in shopper\'s first page load exchanges once and the cookie is stored', async (t) => {
    await open(page, `${store.url}/`)
    const mark = s.requests.length
    const seen = await signIn(page, 4927)
    t.equal(seen.error, undefined)
    t.match(seen.customer, { id: 4927, email: 'john.doe@gmail.com', group_id: '6', store_hash: 'abc123' })
    t.equal(s.count('POST', '/session', mark), 1, 'one exchange')
    t.match(s.requests.slice(mark).find((r) => r.method === 'POST'),
      { status: 201, origin: store.url, withCookie: false })
    const cookies = await sessionCookies(s)
    t.equal(cookies.length, 1, 'the browser stored the session cookie')
    t.match(cookies[0], { httpOnly: true, secure: true, path: '/', sameSite: expect.cookie.sameSite })
    t.equal(cookies[0]?.partitionKey, expect.cookie.partitionKey,
      `partitioned by ${expect.cookie.partitionKey ?? 'nothing'}`)
    t.equal(await sessionKeyCount(s.redis), 1)
  })

  await t.test('2. a session-protected call made through the script succeeds', async (t) => {
    const seen = await outcome(page)
    t.equal(seen.me?.status, 200)
    t.equal(seen.me?.body.customer?.id, 4927)
    t.match(s.requests.filter((r) => r.path === '/api/me').at(-1),
      { method: 'GET', status: 200, origin: store.url, withCookie: true })
    const direct = await page.evaluate(async () => {
      const res = await window.BcSession.fetch('/api/me', { method: 'GET', headers: { Accept: 'application/json' } })
      return { status: res.status, body: await res.json() as { customer: { id: number } } }
    })
    t.equal(direct.status, 200)
    t.equal(direct.body.customer.id, 4927)
  })

  await t.test('3. a reload makes no new exchange', async (t) => {
    const mark = s.requests.length
    for (let i = 0; i < 2; i++) {
      const seen = await reload(page)
      t.equal(seen.customer?.id, 4927)
      t.equal(seen.me?.status, 200)
    }
    t.equal(s.count('POST', '/session', mark), 0, 'no exchange on reload')
    t.equal(s.count('GET', '/session', mark), 2, 'one GET /session per page load')
  })

  await t.test('4. sign-out ends the session; another shopper gets their own (without the hint)', async (t) => {
    let mark = s.requests.length
    const jane = await signIn(page, 5001)
    t.match(jane.customer, { id: 5001, group_id: null })
    t.equal(jane.me?.body.customer?.id, 5001)
    t.equal(s.count('POST', '/session', mark), 1)
    t.equal(await sessionKeyCount(s.redis), 1, 'the previous session of this browser ended')

    mark = s.requests.length
    const out = await signOut(page)
    t.equal(out.customer, null)
    t.equal(s.count('DELETE', '/session', mark), 1, 'the script ended the session')
    t.equal(s.count('POST', '/session', mark), 0)
    t.equal(await sessionKeyCount(s.redis), 0, 'gone from Redis')
    t.same(await sessionCookies(s), [], 'the cookie is cleared')
  })

  await t.test('4. the same with data-customer-id', async (t) => {
    let mark = s.requests.length
    t.equal((await open(page, `${store.url}/?hint=1`)).customer, null)
    const john = await signIn(page, 4927)
    t.equal(john.customer?.id, 4927)
    t.equal(john.me?.status, 200)
    t.equal(s.count('POST', '/session', mark), 1)

    mark = s.requests.length
    const tokenFetches = store.standIn.requests.filter((r) => r.path === '/customer/current.jwt').length
    t.equal((await reload(page)).customer?.id, 4927)
    t.equal(s.count('POST', '/session', mark), 0, 'no exchange on reload')
    t.equal(store.standIn.requests.filter((r) => r.path === '/customer/current.jwt').length, tokenFetches,
      'no token fetch when the hint matches')

    mark = s.requests.length
    const jane = await signIn(page, 5001)
    t.equal(jane.customer?.id, 5001)
    t.equal(jane.me?.body.customer?.id, 5001)
    t.equal(s.count('POST', '/session', mark), 1, 'a different id re-exchanges')
    t.equal(await sessionKeyCount(s.redis), 1)

    mark = s.requests.length
    t.equal((await signOut(page)).customer, null)
    t.equal(s.count('DELETE', '/session', mark), 1)
    t.equal(await sessionKeyCount(s.redis), 0)
  })

  await t.test('6. other origins: outside the allow-list cannot exchange or read; another allowed one does not see ' +
    'this session', async (t) => {
    await open(page, `${store.url}/`)
    t.equal((await signIn(page, 4927)).customer?.id, 4927)

    const other = await s.context.newPage()
    let mark = s.requests.length
    const seen = await open(other, `${s.otherAllowed.url}/`)
    t.equal(seen.customer, null, 'another allowed origin sees no session')
    t.equal(seen.me?.status, 401)
    const reads = s.requests.slice(mark).filter((r) => r.method === 'GET' && r.path === '/session')
    t.ok(reads.length > 0 && reads.every((r) => r.withCookie && r.status === 401 && r.origin === s.otherAllowed.url),
      'the browser sent the cookie and the service refused it to that origin')
    const logout = await other.evaluate(async () =>
      await window.BcSession.logout().then(() => 'ended', (err: { code: string }) => err.code))
    t.equal(logout, 'BCX_ORIGIN_REFUSED', 'nor can it end the session')

    mark = s.requests.length
    const outside = await s.context.newPage()
    await outside.goto(`${s.notAllowed.url}/`)
    const attempt = await signIn(outside, 4927)
    t.equal(attempt.error?.code, 'network_error', 'CORS refuses the origin: the script cannot read the answer')
    t.equal(s.count('POST', '/session', mark), 0, 'the preflight failed: no exchange was sent')
    const forced = await outside.evaluate(async (service) => {
      const token = await (await fetch('/customer/current.jwt?app_client_id=test-client-id')).text()
      const post = await fetch(`${service}/session`,
        { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: token })
        .then((r) => `read ${r.status}`, () => 'unreadable')
      const read = await fetch(`${service}/session`, { credentials: 'include' }).then(async (r) => await r.text(),
        () => 'unreadable')
      return { post, read }
    }, s.serviceUrl)
    t.same(forced, { post: 'unreadable', read: 'unreadable' })
    t.match(s.requests.slice(mark).filter((r) => r.method === 'POST'),
      [{ status: 403, code: 'BCX_ORIGIN_REFUSED', origin: s.notAllowed.url }],
      'a simple POST without preflight reaches the service and is refused')
    const forcedReads = s.requests.slice(mark).filter((r) => r.method === 'GET' && r.path === '/session')
    t.ok(forcedReads.length > 0 && forcedReads.every((r) => r.status === 403 && r.code === 'BCX_CSRF_HEADER_MISSING'),
      'its read without X-CSRF was refused before the session was looked at')
    t.equal(await sessionKeyCount(s.redis), 1, 'no session was made')
    await other.close()
    await outside.close()

    mark = s.requests.length
    const back = await reload(page)
    t.equal(back.customer?.id, 4927, 'the store\'s own session is intact')
    t.equal(s.count('POST', '/session', mark), 0)
  })

  await t.test('7. when the browser does not keep the cookie, ready() rejects with cookies_blocked after one exchange',
    async (t) => {
      await signOut(page)
      t.equal(await sessionKeyCount(s.redis), 0)
      // The service's Set-Cookie never reaches the browser, as when it blocks the service's cookies. The exchange
      // goes through a request context of its own: route.fetch() would store the cookie in the browser's jar.
      const outsider = await request.newContext()
      await page.route(`${s.serviceUrl}/session`, async (route) => {
        if (route.request().method() !== 'POST') return await route.continue()
        const sent = route.request()
        // The service listens on loopback; Node cannot resolve *.localhost names as Chromium does.
        const url = new URL(sent.url())
        url.hostname = '127.0.0.1'
        const response = await outsider.fetch(url.href,
          { method: 'POST', headers: sent.headers(), data: sent.postDataBuffer() ?? undefined })
        const headers =
        Object.fromEntries(Object.entries(response.headers()).filter(([name]) => name.toLowerCase() !== 'set-cookie'))
        await route.fulfill({ response, headers })
      })
      t.teardown(async () => { await page.unrouteAll(); await outsider.dispose() })
      const mark = s.requests.length
      const seen = await signIn(page, 6042)
      t.equal(seen.error?.code, 'cookies_blocked')
      t.match(seen.error?.message, /cookie/)
      t.same(await sessionCookies(s), [], 'the browser holds no session cookie')
      t.equal(s.count('POST', '/session', mark), 1, 'one exchange')
      const after = s.requests.length
      await sleep(1500)
      const again = await page.evaluate(async () => {
        const code =
        (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (err: { code: string }) => err.code)
        return [await code(window.BcSession.ready()), await code(window.BcSession.fetch('/api/me'))]
      })
      t.same(again, ['cookies_blocked', 'cookies_blocked'])
      t.equal(s.requests.length, after, 'no further calls')
    })
}
