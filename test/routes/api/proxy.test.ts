// The upstream proxy against a real upstream HTTP server and a real Redis: identity headers signed and
// verified on arrival, forged ones stripped, the cookie never forwarded, the /api rules first.
import t from 'tap'
import type { Test } from 'tap'
import type { InjectOptions } from 'fastify'
import { build, startRedis, ORIGIN, OTHER_ORIGIN } from '../../support/app.js'
import { signIn, api, CSRF } from '../../support/session.js'
import { freePort } from '../../support/redis-server.js'
import {
  type Received, verifiedByHand, UPSTREAM_SECRET, appWithUpstream, upstreamVerification
} from '../../support/upstream-server.js'
import { verifyUpstreamRequest } from '../../../src/lib/upstream-signature.js'

/** The proxying app and a shopper signed in. */
async function setup (t: Test, upstreamPath = '') {
  const proxying = await appWithUpstream(t, { upstreamPath })
  const { cookie } = await signIn(proxying.app, { email: 'john.doe@gmail.com', groupId: '6' })
  return { ...proxying, cookie }
}

t.test('an unhandled GET goes upstream with signed identity headers and without the cookie', async (t) => {
  const { app, upstream, cookie } = await setup(t)
  const res = await app.inject({
    method: 'GET',
    url: '/api/things/list?x=1&y=a+b&z=%2F',
    headers: { 'x-csrf': '1', origin: ORIGIN, cookie: `${cookie}; theme=dark` }
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-upstream'], 'yes', 'the upstream answer is relayed')
  t.same(res.json(), { upstream: true, method: 'GET', url: '/things/list?x=1&y=a+b&z=%2F', customer: '4927' })
  t.equal(res.headers['access-control-allow-origin'], ORIGIN)
  const [r] = upstream.received as [Received]
  t.equal(r.url, '/things/list?x=1&y=a+b&z=%2F',
    'the /api prefix is replaced by UPSTREAM_URL\'s path; the query is sent as it came')
  t.equal(r.headers.cookie, undefined, 'no cookie reaches the upstream')
  t.equal(r.headers['x-customer-id'], '4927')
  t.equal(r.headers['x-customer-email'], 'john.doe@gmail.com')
  t.equal(r.headers['x-customer-group-id'], '6')
  t.equal(r.headers['x-store-hash'], 'abc123')
  t.match(r.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  t.ok(Math.abs(Number(r.headers['x-bcx-timestamp']) - Date.now() / 1000) < 10)
  t.ok(verifiedByHand(r), 'the signature verifies as documented')
  t.same(upstreamVerification(r), {
    ok: true,
    customer: { id: 4927, email: 'john.doe@gmail.com', groupId: '6', storeHash: 'abc123' },
    requestId: r.headers['x-request-id']
  })
})

t.test('a POST body reaches the upstream byte for byte and is covered by the signature', async (t) => {
  const { app, upstream, cookie } = await setup(t)
  const odd = '{ "points" :10,\n "note": "déjà vu" }'
  const res = await app.inject({
    method: 'POST',
    url: '/api/loyalty/redeem',
    headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'application/json; charset=utf-8', cookie },
    payload: odd
  })
  t.equal(res.statusCode, 200)
  const [r] = upstream.received as [Received]
  t.equal(r.method, 'POST')
  t.equal(r.body.toString('utf8'), odd)
  t.equal(r.headers['content-type'], 'application/json; charset=utf-8')
  t.ok(verifiedByHand(r))
  t.equal(upstreamVerification(r).ok, true)
  t.equal(verifyUpstreamRequest(UPSTREAM_SECRET,
    { method: 'POST', pathAndQuery: r.url, body: '{"points":10000}', headers: r.headers }).ok, false,
  'the same headers with another body fail')

  const form = await app.inject({
    method: 'PUT',
    url: '/api/prefs',
    headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'text/plain', cookie },
    payload: 'a=1'
  })
  t.equal(form.statusCode, 200)
  const empty =
    await app.inject({ method: 'DELETE', url: '/api/prefs/1', headers: { origin: ORIGIN, 'x-csrf': '1', cookie } })
  t.equal(empty.statusCode, 200)
  t.same(upstream.received.slice(1).map((x) => [x.method, x.body.toString(), upstreamVerification(x).ok]),
    [['PUT', 'a=1', true], ['DELETE', '', true]])
})

t.test('identity headers forged by the browser are stripped and replaced', async (t) => {
  const { app, upstream, cookie } = await setup(t)
  const res = await app.inject({
    method: 'GET',
    url: '/api/orders',
    headers: {
      origin: ORIGIN,
      'x-csrf': '1',
      cookie,
      'x-customer-id': '1',
      'x-customer-email': 'admin@example.com',
      'x-customer-group-id': 'admins',
      'x-customer-role': 'owner',
      'x-store-hash': 'xyz789',
      'x-bcx-timestamp': '1',
      'x-bcx-signature': 'v1=forged',
      'x-request-id': 'chosen-by-the-browser'
    }
  })
  t.equal(res.statusCode, 200)
  const [r] = upstream.received as [Received]
  t.equal(r.headers['x-customer-id'], '4927')
  t.equal(r.headers['x-customer-email'], 'john.doe@gmail.com')
  t.equal(r.headers['x-customer-group-id'], '6')
  t.equal(r.headers['x-store-hash'], 'abc123')
  t.equal(r.headers['x-customer-role'], undefined)
  t.not(r.headers['x-request-id'], 'chosen-by-the-browser')
  t.equal(upstreamVerification(r).ok, true)
})

t.test('/api rules come first: nothing reaches the upstream', async (t) => {
  const { app, upstream, cookie } = await setup(t)
  type Method = 'GET' | 'POST' | 'DELETE'
  const req = (method: Method, headers: Record<string, string>, url = '/api/things'): InjectOptions =>
    ({ method, url, headers, ...(method === 'POST' && { payload: {} }) })
  const [unauthenticated, refused, noCsrf] = ['BCX_UNAUTHENTICATED', 'BCX_ORIGIN_REFUSED', 'BCX_CSRF_HEADER_MISSING']
  const [dead, evil] = [cookie.slice(0, -3) + 'abc', 'https://evil.example']
  const cases: Array<[string, InjectOptions, number, string]> = [
    ['no session', req('GET', { ...CSRF, origin: ORIGIN }), 401, unauthenticated],
    ['a dead cookie', req('GET', { ...CSRF, origin: ORIGIN, cookie: dead }), 401, unauthenticated],
    ['GET from a foreign origin', req('GET', { ...CSRF, origin: evil, cookie }), 401, unauthenticated],
    ['GET from another allowed origin', req('GET', { ...CSRF, origin: OTHER_ORIGIN, cookie }), 401, unauthenticated],
    ['POST from another allowed origin', req('POST', { origin: OTHER_ORIGIN, ...CSRF, cookie }), 403, refused],
    ['POST from a foreign origin', req('POST', { origin: evil, ...CSRF, cookie }), 403, refused],
    ['POST without Origin', req('POST', { ...CSRF, cookie }), 403, refused],
    ['POST without X-CSRF', req('POST', { origin: ORIGIN, cookie }), 403, noCsrf],
    ['DELETE with X-CSRF: 0', req('DELETE', { origin: ORIGIN, 'x-csrf': '0', cookie }, '/api/things/1'), 403, noCsrf],
    ['POST without a session', req('POST', { origin: ORIGIN, ...CSRF }), 401, unauthenticated]
  ]
  for (const [name, request, status, code] of cases) {
    const res = await app.inject(request)
    t.equal(res.statusCode, status, name)
    t.equal(res.json().code, code, name)
  }
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/things',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST' }
  })
  t.equal(preflight.statusCode, 204, 'preflights stay with CORS')
  const me = await api(app, cookie, '/api/me')
  t.equal(me.statusCode, 200, 'local routes win over the proxy')
  t.equal(upstream.received.length, 0)
})

t.test('UPSTREAM_URL with a path: /api/x goes to <path>/x; traversal out of it is refused', async (t) => {
  const { app, upstream, cookie } = await setup(t, '/internal')
  const res = await api(app, cookie, '/api/x/y?q=1')
  t.equal(res.statusCode, 200)
  const [r] = upstream.received as [Received]
  t.equal(r.url, '/internal/x/y?q=1')
  t.equal(upstreamVerification(r).ok, true)
  for (const url of ['/api/a/..%2f..%2fsecret', '/api/%2e%2e%2fsecret', '/api/..%5c..%5csecret']) {
    const escape = await app.inject({ method: 'GET', url, headers: { 'x-csrf': '1', origin: ORIGIN, cookie } })
    t.equal(escape.statusCode, 400, url)
    t.equal(escape.json().code, 'BCX_BAD_REQUEST', url)
  }
  t.equal(upstream.received.length, 1)
})

t.test('upstream answers are relayed; an upstream that does not answer is a 502 with our code', async (t) => {
  const { app, cookie } = await setup(t)
  const teapot = await api(app, cookie, '/api/teapot')
  t.equal(teapot.statusCode, 418)
  t.equal(teapot.headers['x-upstream'], 'yes', 'the upstream answered')
  t.equal(teapot.headers['cache-control'], 'no-store',
    'an answer that reveals the session is never cacheable, whatever the upstream said')

  const redis = await startRedis(t)
  const down = await build(t,
    { redis, env: { UPSTREAM_URL: `http://127.0.0.1:${await freePort()}`, UPSTREAM_SIGNING_SECRET: UPSTREAM_SECRET } })
  const { cookie: downCookie } = await signIn(down.app)
  const res = await api(down.app, downCookie, '/api/things')
  t.equal(res.statusCode, 502)
  t.equal(res.json().code, 'BCX_UPSTREAM_UNAVAILABLE')
})

t.test('without UPSTREAM_URL there is no proxy', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  const res = await api(app, cookie, '/api/things')
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'FST_ERR_NOT_FOUND')
  t.equal(res.headers['cache-control'], 'no-store')
  const write = await app.inject({ method: 'POST', url: '/api/things', headers: { cookie } })
  t.equal(write.statusCode, 403, 'an unknown /api path still gets the cross-site rules first')
  t.equal(write.json().code, 'BCX_ORIGIN_REFUSED')
  const anonymous = await api(app, undefined, '/api/things')
  t.equal(anonymous.statusCode, 401, 'and the session check')
  t.equal(anonymous.json().code, 'BCX_UNAUTHENTICATED')
})
