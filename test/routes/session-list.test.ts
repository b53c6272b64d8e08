// GET /session/list, DELETE /session/list/{handle}, DELETE /session/list?scope=, GET /admin/sessions.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { build, ORIGIN, OTHER_ORIGIN, startRedis, STORE, COOKIE_NAME } from '../support/app.js'
import { CSRF, getSession, setCookieHeader, sidOf, handleOf, signIn } from '../support/session.js'
import { keys } from '../../src/store/keys.js'
import { originTag, parseSessionId } from '../../src/store/session-id.js'
import { decodeRecord, minuteOf, withLastSeen } from '../../src/store/record-codec.js'
import { snapshot, assertUnchanged, sessionKeyOf, commandCalls } from '../support/redis-state.js'

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 ' +
  '(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const ADMIN_TOKEN = 'admin-token-0123456789abcdef0123456789'

interface Listed {
  handle: string,
  created_at: string,
  last_seen_at: string | null,
  expires_at: string,
  origin: string | null,
  browser: string | null,
  os: string | null,
  current?: boolean
}

async function list (app: FastifyInstance, cookie: string | undefined, headers: Record<string,
  string> = { origin: ORIGIN, ...CSRF }): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'GET',
    url: '/session/list',
    headers: { ...headers, ...(cookie !== undefined && { cookie }) }
  })
}

async function end (app: FastifyInstance, cookie: string | undefined, url: string, headers: Record<string,
  string> = { origin: ORIGIN, ...CSRF }): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'DELETE', url, headers: { ...headers, ...(cookie !== undefined && { cookie }) } })
}

const sessionsOf = (res: LightMyRequestResponse): Listed[] => (res.json() as { sessions: Listed[] }).sessions

t.test('a customer signed in from two browsers sees both, with browser, OS, origin and times', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const before = Date.now()
  const { cookie: chrome } = await signIn(app, { userAgent: CHROME_WINDOWS })
  const { cookie: safari } = await signIn(app, { userAgent: SAFARI_IPHONE })
  await signIn(app, { customerId: 77, userAgent: CHROME_WINDOWS })

  const res = await list(app, chrome)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers['access-control-allow-origin'], ORIGIN, 'CORS as on /session')
  const sessions = sessionsOf(res)
  t.equal(sessions.length, 2, 'only this customer\'s')
  const [first, second] = sessions as [Listed, Listed]
  t.match(first, { handle: handleOf(chrome), origin: ORIGIN, browser: 'Chrome', os: 'Windows', current: true })
  t.match(second, { handle: handleOf(safari), origin: ORIGIN, browser: 'Safari', os: 'iOS', current: false })
  t.ok(Date.parse(first.created_at) >= before - 5 && Date.parse(first.created_at) < Date.parse(second.created_at),
    'created longest ago first')
  for (const s of sessions) {
    t.match(s.handle, /^[A-Za-z0-9_-]{16}$/)
    t.ok(s.last_seen_at !== null && Date.parse(s.last_seen_at) >= Date.parse(s.created_at) &&
      Date.parse(s.last_seen_at) <= Date.now())
    t.ok(Date.parse(s.expires_at) > Date.now())
    t.notOk(sidOf(chrome).includes(s.handle) || chrome.includes(s.handle), 'the handle is not part of the cookie')
  }

  const fromSafari = sessionsOf(await list(app, safari))
  t.same(fromSafari.map((s) => s.current), [false, true], 'current is the caller\'s')

  // What is kept: codes, never the User-Agent text, never an address.
  const values =
    await Promise.all((await redis.client.keys('bcx:*:s:*')).map(async (k) => await redis.client.get(k) as string))
  for (const v of values) {
    t.notOk(/Mozilla|Windows|iPhone|127\.0\.0\.1/.test(v), 'no User-Agent text or IP in the stored value')
    t.ok(Buffer.byteLength(v) < 64, 'the value stays small')
  }
})

t.test('listing is a read: it slides the idle timeout, needs X-CSRF: 1, and sees nothing from another origin',
  async (t) => {
    const redis = await startRedis(t)
    const { app } = await build(t, { redis, env: { SESSION_IDLE_TIMEOUT: '600' } })
    const { cookie } = await signIn(app)
    const key = sessionKeyOf(cookie)
    await redis.client.pexpire(key, 5000)
    t.equal((await list(app, cookie)).statusCode, 200)
    t.ok(await redis.client.pttl(key) > 500_000, 'slid back to the idle timeout')

    await redis.client.pexpire(key, 5000)
    const state = await snapshot(redis.client, { app })
    const noCsrf = await list(app, cookie, { origin: ORIGIN })
    t.equal(noCsrf.statusCode, 403)
    t.equal(noCsrf.json().code, 'BCX_CSRF_HEADER_MISSING')
    const noCors = await list(app, cookie, { origin: ORIGIN, ...CSRF, 'sec-fetch-mode': 'no-cors' })
    t.equal(noCors.statusCode, 403)
    t.equal(noCors.json().code, 'BCX_CSRF_HEADER_MISSING')
    await assertUnchanged(t, redis.client, state, 'nothing read, slid or changed', { app })
    t.ok(await redis.client.pttl(key) <= 5000, 'not slid')
    const foreign = await list(app, cookie, { origin: OTHER_ORIGIN, ...CSRF })
    t.equal(foreign.statusCode, 401, 'another origin does not see the session')
    t.equal(foreign.json().code, 'BCX_UNAUTHENTICATED')
    t.equal(await redis.client.zcard(keys.index(STORE, 4927)), 1, 'and ends nothing')

    const noCookie = await list(app, undefined)
    t.equal(noCookie.statusCode, 401, 'no cookie')
    t.equal(noCookie.json().code, 'BCX_UNAUTHENTICATED')
    const handleAsCookie = await list(app, `${COOKIE_NAME}=${handleOf(cookie)}`)
    t.equal(handleAsCookie.statusCode, 401, 'a handle is no cookie')
    t.equal(handleAsCookie.json().code, 'BCX_UNAUTHENTICATED')
    const signedLike = await list(app, `${COOKIE_NAME}=s:${handleOf(cookie)}`)
    t.equal(signedLike.statusCode, 401)
    t.equal(signedLike.json().code, 'BCX_UNAUTHENTICATED')
    t.equal((await getSession(app, `${COOKIE_NAME}=${handleOf(cookie)}`)).statusCode, 401, 'nor on GET /session')
    t.equal((await list(app, cookie, { ...CSRF })).statusCode, 200, 'no Origin: judged by the cookie (curl)')
  })

t.test('ending another session by its handle: 204, that browser\'s next call is 401, the index follows', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: a } = await signIn(app, { userAgent: CHROME_WINDOWS })
  const { cookie: b } = await signIn(app, { userAgent: SAFARI_IPHONE })
  const ended = await end(app, a, `/session/list/${handleOf(b)}`)
  t.equal(ended.statusCode, 204)
  t.equal(setCookieHeader(ended), undefined, 'the caller keeps its cookie')
  t.equal((await getSession(app, b)).statusCode, 401, 'the other browser is signed out')
  t.equal((await getSession(app, a)).statusCode, 200)
  t.same(sessionsOf(await list(app, a)).map((s) => s.handle), [handleOf(a)])
  t.same(await redis.client.zrange(keys.index(STORE, 4927), 0, -1), [handleOf(a)], 'gone from the index too')

  const again = await end(app, a, `/session/list/${handleOf(b)}`)
  t.equal(again.statusCode, 404, 'an ended handle')
  t.equal(again.json().code, 'BCX_SESSION_NOT_FOUND')
})

t.test('unknown, malformed, ended or foreign handles: 404 BCX_SESSION_NOT_FOUND, nothing changes', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: mine } = await signIn(app)
  const { cookie: other } = await signIn(app)
  const { cookie: stranger } = await signIn(app, { customerId: 77 })
  const { cookie: strangerElsewhere } =
    await signIn(app, { customerId: 4927, origin: 'https://store-xyz789.mybigcommerce.com' })
  const state = await snapshot(redis.client, { app })
  const bad = [
    handleOf(stranger), // another customer's
    'AAAAAAAAAAAAAAAA', // well formed, unknown
    handleOf(other).slice(0, 15), // malformed
    `${handleOf(other)}x`,
    encodeURIComponent('*'.repeat(16)),
    encodeURIComponent('{x}:s:aaaaaaaaaa'),
    encodeURIComponent(sidOf(other)), // the session id itself is no handle
    '%00'
  ]
  for (const handle of bad) {
    const res = await end(app, mine, `/session/list/${handle}`)
    t.equal(res.statusCode, 404, handle)
    t.equal(res.json().code, 'BCX_SESSION_NOT_FOUND')
    t.equal(setCookieHeader(res), undefined)
  }
  await assertUnchanged(t, redis.client, state, 'nothing changed', { app, slides: [sessionKeyOf(mine)] })
  t.equal((await getSession(app, stranger)).statusCode, 200)
  t.equal((await getSession(app, strangerElsewhere, 'https://store-xyz789.mybigcommerce.com')).statusCode, 200)

  // A session that expired while its index entry stayed: not listed, and its handle is a 404.
  const otherKey = sessionKeyOf(other)
  await redis.client.del(otherKey)
  t.same(sessionsOf(await list(app, mine)).map((s) => s.handle).sort(),
    [handleOf(mine), handleOf(strangerElsewhere)].sort(), 'no listed session that no longer exists')
  const gone = await end(app, mine, `/session/list/${handleOf(other)}`)
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().code, 'BCX_SESSION_NOT_FOUND')
})

t.test('the DELETE forms follow the write rules of /session', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: a } = await signIn(app)
  const { cookie: b } = await signIn(app)
  const state = await snapshot(redis.client, { app })
  for (const url of [`/session/list/${handleOf(b)}`, '/session/list?scope=others', '/session/list?scope=all']) {
    const noOrigin = await end(app, a, url, { ...CSRF })
    t.equal(noOrigin.statusCode, 403, `${url}: no Origin`)
    t.equal(noOrigin.json().code, 'BCX_ORIGIN_REFUSED')
    const notAllowed = await end(app, a, url, { origin: 'https://evil.example', ...CSRF })
    t.equal(notAllowed.statusCode, 403, `${url}: origin not allowed`)
    t.equal(notAllowed.json().code, 'BCX_ORIGIN_REFUSED', `${url}: origin not allowed`)
    const noCsrf = await end(app, a, url, { origin: ORIGIN })
    t.equal(noCsrf.statusCode, 403, `${url}: no X-CSRF`)
    t.equal(noCsrf.json().code, 'BCX_CSRF_HEADER_MISSING', `${url}: no X-CSRF`)
    const otherOrigin = await end(app, a, url, { origin: OTHER_ORIGIN, ...CSRF })
    t.equal(otherOrigin.statusCode, 403, `${url}: an allowed origin that is not the session's`)
    t.equal(otherOrigin.json().code, 'BCX_ORIGIN_REFUSED')
    const noSession = await end(app, undefined, url)
    t.equal(noSession.statusCode, 401, `${url}: no session`)
    t.equal(noSession.json().code, 'BCX_UNAUTHENTICATED')
  }
  await assertUnchanged(t, redis.client, state, 'nothing changed', { app, slides: [sessionKeyOf(a)] })
})

t.test('scope=others ends every other session; scope=all ends this one too and clears the cookie', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: a } = await signIn(app)
  const { cookie: b } = await signIn(app)
  const { cookie: c } = await signIn(app)
  const { cookie: stranger } = await signIn(app, { customerId: 77 })

  const state = await snapshot(redis.client, { app })
  for (const url of ['/session/list', '/session/list?scope=', '/session/list?scope=everyone',
    '/session/list?scope=ALL', '/session/list?scope=others&scope=all']) {
    const res = await end(app, a, url)
    t.equal(res.statusCode, 400, url)
    t.equal(res.json().code, 'BCX_BAD_REQUEST')
  }
  await assertUnchanged(t, redis.client, state, 'a bad scope changes nothing, not even the idle deadline', { app })

  const others = await end(app, a, '/session/list?scope=others')
  t.equal(others.statusCode, 204)
  t.equal(setCookieHeader(others), undefined)
  t.equal((await getSession(app, a)).statusCode, 200, 'this one stays')
  t.equal((await getSession(app, b)).statusCode, 401)
  t.equal((await getSession(app, c)).statusCode, 401)
  t.same(await redis.client.zrange(keys.index(STORE, 4927), 0, -1), [handleOf(a)])

  const { cookie: d } = await signIn(app)
  const all = await end(app, d, '/session/list?scope=all')
  t.equal(all.statusCode, 204)
  t.match(setCookieHeader(all) ?? '', new RegExp(`^${COOKIE_NAME}=;.*Max-Age=0`), 'the cookie is cleared')
  t.equal((await getSession(app, a)).statusCode, 401)
  t.equal((await getSession(app, d)).statusCode, 401)
  t.equal(await redis.client.exists(keys.index(STORE, 4927)), 0, 'no index left')
  t.equal((await getSession(app, stranger)).statusCode, 200, 'another customer is untouched')
})

t.test('ending your own session by its handle clears your cookie', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: a } = await signIn(app)
  const { cookie: b } = await signIn(app)
  const res = await end(app, a, `/session/list/${handleOf(a)}`)
  t.equal(res.statusCode, 204)
  t.match(setCookieHeader(res) ?? '', new RegExp(`^${COOKIE_NAME}=;.*Max-Age=0`))
  t.equal((await getSession(app, a)).statusCode, 401)
  t.equal((await getSession(app, b)).statusCode, 200)
})

t.test('last seen: the first read of a minute records it, the others are one GETEX', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie, sid } = await signIn(app)
  const parts = parseSessionId(sid) as NonNullable<ReturnType<typeof parseSessionId>>
  const key = keys.session(parts, sid)
  const value = await redis.client.get(key) as string
  // As if last used ten minutes ago.
  const old = minuteOf(Date.now()) - 10
  await redis.client.set(key, withLastSeen(value, old) as string, 'PX', 100_000)
  t.equal(decodeRecord(await redis.client.get(key) as string, parts)?.lastSeenMinute, old)

  const setCalls = async (): Promise<number> => (await commandCalls(redis.client)).set ?? 0
  const sets = await setCalls()
  t.equal((await getSession(app, cookie)).statusCode, 200)
  let now = decodeRecord(await redis.client.get(key) as string, parts)?.lastSeenMinute ?? 0
  for (let i = 0; i < 50 && now === old; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    now = decodeRecord(await redis.client.get(key) as string, parts)?.lastSeenMinute ?? 0
  }
  t.ok(now >= minuteOf(Date.now()) - 1, 'recorded')
  t.ok(await redis.client.pttl(key) > 100_000, 'the slide of the read stands (KEEPTTL)')
  const afterFirst = await setCalls()
  t.equal(afterFirst - sets, 1, 'one write for the first read of the minute')
  for (let i = 0; i < 5; i++) t.equal((await getSession(app, cookie)).statusCode, 200)
  // At most one more: the reads may straddle a minute.
  t.ok(await setCalls() - afterFirst <= 1, 'later reads of the minute write nothing')
  const listed = sessionsOf(await list(app, cookie))[0] as Listed
  t.ok(Date.parse(listed.last_seen_at as string) >= (minuteOf(Date.now()) - 1) * 60_000)
})

t.test('the last-seen write never brings back an ended session', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  const key = sessionKeyOf(cookie)
  await redis.client.set(key,
    withLastSeen(await redis.client.get(key) as string, minuteOf(Date.now()) - 3) as string, 'KEEPTTL')
  // The session ends between the read's GETEX and its write: the write must find no key.
  const [read, ended] = await Promise.all([getSession(app, cookie), end(app, cookie, '/session/list?scope=all')])
  t.equal(ended.statusCode, 204)
  t.ok(read.statusCode === 200 || read.statusCode === 401)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(await redis.client.exists(key), 0, 'still gone')
  t.equal((await getSession(app, cookie)).statusCode, 401)
})

t.test('a value of the first release\'s format still reads and lists', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  const key = sessionKeyOf(cookie)
  const old = `${originTag(ORIGIN)}s1:0customer4927@example.com`
  await redis.client.set(key, old, 'KEEPTTL')
  const read = await getSession(app, cookie)
  t.equal(read.statusCode, 200)
  t.same(read.json().customer, { id: 4927, email: 'customer4927@example.com', group_id: '0' })
  const listed = sessionsOf(await list(app, cookie))
  t.match(listed,
    [{ handle: handleOf(cookie), last_seen_at: null, browser: null, os: null, origin: ORIGIN, current: true }])
  t.equal(await redis.client.get(key), old, 'left as it was')
})

t.test('preflights of the list routes', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  for (const url of ['/session/list', '/session/list/AAAAAAAAAAAAAAAA', '/session/list?scope=all']) {
    const res = await app.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'x-csrf'
      }
    })
    t.equal(res.statusCode, 204, url)
    t.equal(res.headers['access-control-allow-origin'], ORIGIN)
    t.equal(res.headers['access-control-allow-credentials'], 'true')
    t.match(res.headers['access-control-allow-methods'], /DELETE/)
    t.match(res.headers['access-control-allow-headers'], /X-CSRF/)
    const refused = await app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' }
    })
    t.equal(refused.statusCode, 404)
    t.equal(refused.headers['access-control-allow-origin'], undefined)
  }
  const denied = await list(app, undefined, { origin: ORIGIN })
  t.equal(denied.statusCode, 403)
  t.equal(denied.json().code, 'BCX_CSRF_HEADER_MISSING')
  t.equal(denied.headers['access-control-allow-origin'], ORIGIN, 'a refusal is readable by the page')
  const evil = await list(app, undefined, { origin: 'https://evil.example', ...CSRF })
  t.equal(evil.statusCode, 401, 'no cookie: no session, and no CORS answer for a foreign origin')
  t.equal(evil.json().code, 'BCX_UNAUTHENTICATED')
  t.equal(evil.headers['access-control-allow-origin'], undefined)
})

t.test('GET /admin/sessions: the same list for support, without current', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { ADMIN_TOKEN } })
  const { cookie: a } = await signIn(app, { userAgent: CHROME_WINDOWS })
  await signIn(app, { userAgent: SAFARI_IPHONE })
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const res =
    await app.inject({ method: 'GET', url: `/admin/sessions?store_hash=${STORE}&customer_id=4927`, headers: auth })
  t.equal(res.statusCode, 200)
  const sessions = sessionsOf(res)
  t.match(sessions,
    [{ browser: 'Chrome', os: 'Windows', origin: ORIGIN }, { browser: 'Safari', os: 'iOS', origin: ORIGIN }])
  t.notOk(sessions.some((s) => 'current' in s), 'no current')
  t.same(sessionsOf(await app.inject({
    method: 'GET',
    url: `/admin/sessions?store_hash=${STORE}&customer_id=5`,
    headers: auth
  })), [])

  const state = await snapshot(redis.client, { app })
  for (const headers of [{ cookie: a }, { authorization: 'Bearer wrong-admin-token' },
    { authorization: ADMIN_TOKEN }]) {
    const unauth =
      await app.inject({ method: 'GET', url: `/admin/sessions?store_hash=${STORE}&customer_id=4927`, headers })
    t.equal(unauth.statusCode, 401, JSON.stringify(headers))
    t.equal(unauth.json().code, 'BCX_ADMIN_UNAUTHORIZED')
  }
  for (const query of ['', `store_hash=${STORE}`, 'customer_id=4927', `store_hash=${STORE}&customer_id=0`,
    `store_hash=${STORE}&customer_id=99999999999999999`, 'store_hash=a*b&customer_id=1',
    `store_hash=${STORE}&customer_id=1&x=1`]) {
    const bad = await app.inject({ method: 'GET', url: `/admin/sessions?${query}`, headers: auth })
    t.equal(bad.statusCode, 400, query)
    t.equal(bad.json().code, 'BCX_BAD_REQUEST')
  }
  await assertUnchanged(t, redis.client, state, 'reading changes nothing, not even the idle deadlines', { app })
})

t.test('GET /admin/sessions does not exist without ADMIN_TOKEN', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const res = await app.inject({
    method: 'GET',
    url: `/admin/sessions?store_hash=${STORE}&customer_id=4927`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
  })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'FST_ERR_NOT_FOUND')
})
