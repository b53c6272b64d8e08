// The CORS hook answers as @fastify/cors did with the options the service gave it (per-path, through a
// delegator), request for request; it only stops adding Vary: Origin to routes that have no CORS. And the
// guard of /session and /api: X-CSRF: 1 from a CORS request on every read and write, before the session.
import t from 'tap'
import type { Test } from 'tap'
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify'
import cors from '@fastify/cors'
import crossSite, { originCheck, scopeMethods } from '../../src/session/cross-site.js'
import { originAllowed, parseOriginPattern, type OriginPattern } from '../../src/lib/origin.js'
import type { Config } from '../../src/config.js'
import { ORIGIN, OTHER_ORIGIN } from '../support/app.js'
import { CSRF, signIn } from '../support/session.js'
import { startBigCommerceApi } from '../support/bigcommerce-api.js'
import { appWithUpstream } from '../support/upstream-server.js'
import { commandsSince } from '../support/redis-state.js'

const patterns =
  ['https://*.mybigcommerce.com', 'https://shop.example.com'].map((e) => parseOriginPattern(e) as OriginPattern)
const PATHS =
  ['/session', '/session?x=1', '/api', '/api/me', '/api/a/b?q=1', '/healthz', '/sessionx', '/apix', '/storefront.js']
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const ORIGINS =
  [undefined, ORIGIN, 'https://STORE-abc123.MyBigCommerce.com', 'https://shop.example.com:443', 'https://evil.example',
    'https://mybigcommerce.com', 'https://a.b.mybigcommerce.com', 'http://store-abc123.mybigcommerce.com', 'null', '']

function withRoutes (app: FastifyInstance): FastifyInstance {
  for (const url of ['/session', '/api', '/api/*', '/healthz', '/sessionx', '/apix', '/storefront.js']) {
    app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url, handler: async () => ({ ok: true }) })
  }
  return app
}

/** The service's previous configuration of @fastify/cors, kept here as the reference. */
function reference (): FastifyInstance {
  const app = Fastify()
  app.register(cors, {
    delegator: (request, cb) => {
      const methods = scopeMethods(request.url)
      if (methods === null) return cb(null, { origin: false })
      cb(null, {
        origin: (origin, done) => done(null, originAllowed(origin, patterns)),
        credentials: true,
        methods,
        allowedHeaders: ['Content-Type', 'X-CSRF'],
        maxAge: 600,
        strictPreflight: false
      })
    }
  })
  return withRoutes(app)
}

function ours (): FastifyInstance {
  const app = Fastify()
  app.register(crossSite, { config: { allowedOrigins: patterns } as unknown as Config })
  return withRoutes(app)
}

const corsHeaders = (headers: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) =>
    name.startsWith('access-control-') || name === 'vary' || name === 'content-length'))

t.test('same status and CORS headers as @fastify/cors for every method, path and origin', async (t) => {
  const [before, after] = [reference(), ours()]
  t.teardown(() => Promise.all([before.close(), after.close()]))
  for (const url of PATHS) {
    for (const method of METHODS) {
      for (const origin of ORIGINS) {
        for (const preflight of method === 'OPTIONS'
          ? [{}, {
              'access-control-request-method': 'POST',
              'access-control-request-headers': 'content-type,x-csrf'
            }]
          : [{}]) {
          const request: InjectOptions =
            { method, url, headers: { ...(origin !== undefined && { origin }), ...preflight } }
          const [a, b] = await Promise.all([before.inject(request), after.inject(request)])
          const what =
            `${method} ${url} from ${String(origin)}${Object.keys(preflight).length > 0 ? ' (preflight)' : ''}`
          t.equal(b.statusCode, a.statusCode, `${what}: status`)
          const expected = corsHeaders(a.headers)
          // The one difference, on purpose: no Vary: Origin where there is no CORS.
          if (scopeMethods(url) === null) delete expected.vary
          t.same(corsHeaders(b.headers), expected, `${what}: headers`)
        }
      }
    }
  }
})

t.test('what the answers are, spelled out', async (t) => {
  const app = ours()
  t.teardown(() => app.close())
  const pre = await app.inject({
    method: 'OPTIONS',
    url: '/api/me',
    headers: { origin: ORIGIN, 'access-control-request-method': 'PUT' }
  })
  t.equal(pre.statusCode, 204)
  t.same(corsHeaders(pre.headers), {
    vary: 'Origin',
    'access-control-allow-origin': ORIGIN,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET,HEAD,POST,PUT,PATCH,DELETE',
    'access-control-allow-headers': 'Content-Type, X-CSRF',
    'access-control-max-age': '600',
    'content-length': '0'
  })
  const session = await app.inject({
    method: 'OPTIONS',
    url: '/session',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST' }
  })
  t.equal(session.headers['access-control-allow-methods'], 'GET,HEAD,POST,DELETE',
    '/session allows only its own methods')
  const refused = await app.inject({
    method: 'OPTIONS',
    url: '/session',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' }
  })
  t.equal(refused.statusCode, 404, 'a preflight from a foreign origin is not answered')
  t.equal(refused.headers['access-control-allow-origin'], undefined)
  const other = await app.inject({
    method: 'OPTIONS',
    url: '/healthz',
    headers: { origin: ORIGIN, 'access-control-request-method': 'GET' }
  })
  t.equal(other.statusCode, 404, 'no preflight outside /session and /api')
  const health = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: ORIGIN } })
  t.same(corsHeaders(health.headers), { 'content-length': health.headers['content-length'] },
    'no CORS header, no Vary, outside /session and /api')
})

t.test('Vary: Origin is added to a Vary already set, once', async (t) => {
  const app = Fastify()
  app.addHook('onRequest', async (request, reply) => { reply.header('Vary', request.headers['x-vary'] as string) })
  app.register(crossSite, { config: { allowedOrigins: patterns } as unknown as Config })
  app.get('/session', async () => ({ ok: true }))
  t.teardown(() => app.close())
  const cases: Array<[string, string]> =
    [['Accept-Encoding', 'Accept-Encoding, Origin'], ['accept-encoding, origin', 'accept-encoding, origin'], ['*', '*']]
  for (const [set, expected] of cases) {
    const res = await app.inject({ method: 'GET', url: '/session', headers: { origin: ORIGIN, 'x-vary': set } })
    t.equal(res.headers.vary, expected, set)
  }
})

t.test('the origin check remembers answers, bounded, and agrees with originAllowed', async (t) => {
  const allowed = originCheck(patterns)
  for (const origin of ORIGINS) {
    t.equal(allowed(origin), origin !== undefined && originAllowed(origin, patterns), String(origin))
    t.equal(allowed(origin), origin !== undefined && originAllowed(origin, patterns), `${String(origin)}, remembered`)
  }
  // A flood of distinct origins: answers stay right after the map is cleared.
  for (let i = 0; i < 2500; i++) t.equal(allowed(`https://s${i}.mybigcommerce.com`), true)
  t.equal(allowed('https://evil.example'), false)
})

/** The real app with a session, the proxy in front of a stand-in upstream and the orders route in front of a stand-in
 * BigCommerce. */
async function withSession (t: Test) {
  const bigcommerce = await startBigCommerceApi()
  t.teardown(() => bigcommerce.close())
  const { app, redis, upstream } = await appWithUpstream(t, {
    env: { BC_STORE_HASH: 'abc123', BC_ACCESS_TOKEN: bigcommerce.accessToken, BC_API_URL: bigcommerce.url }
  })
  const { cookie } = await signIn(app)
  const [key] = await redis.client.keys('bcx:*:s:*') as [string]
  // A read slides the idle deadline back to its full length: let the clock run first, so a slide shows.
  await new Promise((resolve) => setTimeout(resolve, 50))
  await commandsSince(redis.client)
  return { app, redis, upstream, bigcommerce, cookie, ttl: async () => await redis.client.pttl(key) }
}

// Every path a cookie could be ridden through: the session itself, local /api routes, the proxy.
const READ_PATHS = ['/session', '/api/me', '/api/orders/recent', '/api/things/list?x=1']

t.test('a read without X-CSRF: 1 is refused before the session is read, slid or forwarded', async (t) => {
  const { app, upstream, bigcommerce, cookie, ttl, redis } = await withSession(t)
  const before = await ttl()
  await commandsSince(redis.client)
  // What an <img>, a <script>, a no-cors fetch or a navigation sends: the cookie, and an Origin or none.
  for (const url of READ_PATHS) {
    for (const method of ['GET', 'HEAD'] as const) {
      for (const origin of [ORIGIN, OTHER_ORIGIN, 'https://evil.example', undefined]) {
        for (const csrf of [undefined, '0', 'true', '', '1, 1']) {
          const headers =
            { cookie, ...(origin !== undefined && { origin }), ...(csrf !== undefined && { 'x-csrf': csrf }) }
          const res = await app.inject({ method, url, headers })
          const what = `${method} ${url} from ${String(origin)}, X-CSRF ${JSON.stringify(csrf)}`
          t.equal(res.statusCode, 403, what)
          if (method === 'GET') t.equal(res.json().code, 'BCX_CSRF_HEADER_MISSING', what)
          t.equal(res.headers['set-cookie'], undefined, `${what}: the cookie is left alone`)
        }
      }
    }
  }
  t.same(await commandsSince(redis.client), [], 'not one Redis command')
  t.ok(await ttl() <= before, 'the idle deadline did not move')
  t.equal(upstream.received.length, 0, 'nothing reached the upstream')
  t.equal(bigcommerce.requests.length, 0, 'nothing reached BigCommerce')
})

t.test('X-CSRF: 1 in a request whose Sec-Fetch-Mode is not cors is refused the same way', async (t) => {
  const { app, upstream, bigcommerce, cookie, ttl, redis } = await withSession(t)
  const before = await ttl()
  await commandsSince(redis.client)
  for (const url of READ_PATHS) {
    for (const mode of ['no-cors', 'navigate', 'websocket', 'CORS', '']) {
      const res =
        await app.inject({ method: 'GET', url, headers: { ...CSRF, origin: ORIGIN, 'sec-fetch-mode': mode, cookie } })
      t.equal(res.statusCode, 403, `${url}, Sec-Fetch-Mode ${JSON.stringify(mode)}`)
      t.equal(res.json().code, 'BCX_CSRF_HEADER_MISSING', `${url}, Sec-Fetch-Mode ${JSON.stringify(mode)}`)
    }
  }
  const end = await app.inject({
    method: 'DELETE',
    url: '/session',
    headers: { ...CSRF, origin: ORIGIN, 'sec-fetch-mode': 'navigate', cookie }
  })
  t.equal(end.statusCode, 403, 'a write from a navigation too')
  t.equal(end.json().code, 'BCX_CSRF_HEADER_MISSING')
  t.same(await commandsSince(redis.client), [], 'not one Redis command')
  t.ok(await ttl() <= before, 'the idle deadline did not move; the session is still there')
  t.equal(upstream.received.length, 0)
  t.equal(bigcommerce.requests.length, 0)
})

t.test('X-CSRF: 1 from a CORS request, or from no browser at all, reads the session', async (t) => {
  const { app, upstream, bigcommerce, cookie, ttl } = await withSession(t)
  const before = await ttl()
  const cases: Array<[string, Record<string, string>]> = [
    ['Sec-Fetch-Mode: cors', { origin: ORIGIN, 'sec-fetch-mode': 'cors' }],
    ['Sec-Fetch-Mode: same-origin', { origin: ORIGIN, 'sec-fetch-mode': 'same-origin' }],
    ['no Sec-Fetch-Mode', { origin: ORIGIN }],
    ['no Origin (curl, a server)', {}]
  ]
  for (const [name, headers] of cases) {
    for (const url of READ_PATHS) {
      const res = await app.inject({ method: 'GET', url, headers: { ...CSRF, ...headers, cookie } })
      t.equal(res.statusCode, 200, `${name}: ${url}`)
    }
    const head = await app.inject({ method: 'HEAD', url: '/session', headers: { ...CSRF, ...headers, cookie } })
    t.equal(head.statusCode, 200, `${name}: HEAD /session`)
  }
  t.ok(await ttl() > before, 'the reads slid the idle deadline')
  t.equal(upstream.received.length, cases.length, 'each proxied read reached the upstream once')
  t.equal(upstream.received[0]?.headers['x-customer-id'], '4927')
  t.ok(bigcommerce.requests.length > 0, 'the orders route asked BigCommerce')
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/session',
    headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-csrf' }
  })
  t.equal(preflight.statusCode, 204, 'a preflight needs no X-CSRF')
})

t.test('writes: the Origin is checked first, as before, then X-CSRF', async (t) => {
  const { app, cookie, redis } = await withSession(t)
  const cases: Array<[string, Record<string, string>, string]> = [
    ['no Origin, no X-CSRF', {}, 'BCX_ORIGIN_REFUSED'],
    ['no Origin, X-CSRF', { ...CSRF }, 'BCX_ORIGIN_REFUSED'],
    ['a foreign Origin, no X-CSRF', { origin: 'https://evil.example' }, 'BCX_ORIGIN_REFUSED'],
    ['an allowed Origin, no X-CSRF', { origin: ORIGIN }, 'BCX_CSRF_HEADER_MISSING']
  ]
  for (const [name, headers, code] of cases) {
    for (const [method, url] of [['DELETE', '/session'], ['POST', '/api/things']] as const) {
      const res = await app.inject({ method, url, headers: { ...headers, cookie } })
      t.equal(res.statusCode, 403, `${name}: ${method} ${url}`)
      t.equal(res.json().code, code, `${name}: ${method} ${url}`)
    }
  }
  t.same(await commandsSince(redis.client), [], 'not one Redis command')
  t.equal((await app.inject({
    method: 'GET',
    url: '/session',
    headers: { ...CSRF, origin: ORIGIN, cookie }
  })).statusCode, 200, 'the session lives on')
})
