// The CORS hook answers as @fastify/cors did with the options the service gave it (per-path, through a
// delegator), request for request; it only stops adding Vary: Origin to routes that have no CORS.
import t from 'tap'
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify'
import cors from '@fastify/cors'
import crossSite, { originCheck, scopeMethods } from '../../src/plugins/cross-site.js'
import { originAllowed, parseOriginPattern, type OriginPattern } from '../../src/lib/origin.js'
import type { Config } from '../../src/config.js'
import { ORIGIN } from '../helper.js'

const patterns = ['https://*.mybigcommerce.com', 'https://shop.example.com'].map((e) => parseOriginPattern(e) as OriginPattern)
const PATHS = ['/session', '/session?x=1', '/api', '/api/me', '/api/a/b?q=1', '/healthz', '/sessionx', '/apix', '/storefront.js']
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const ORIGINS = [undefined, ORIGIN, 'https://STORE-abc123.MyBigCommerce.com', 'https://shop.example.com:443', 'https://evil.example',
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
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary' || name === 'content-length'))

t.test('same status and CORS headers as @fastify/cors for every method, path and origin', async (t) => {
  const [before, after] = [reference(), ours()]
  t.teardown(() => Promise.all([before.close(), after.close()]))
  for (const url of PATHS) {
    for (const method of METHODS) {
      for (const origin of ORIGINS) {
        for (const preflight of method === 'OPTIONS' ? [{}, { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-csrf' }] : [{}]) {
          const request: InjectOptions = { method, url, headers: { ...(origin !== undefined && { origin }), ...preflight } }
          const [a, b] = await Promise.all([before.inject(request), after.inject(request)])
          const what = `${method} ${url} from ${String(origin)}${Object.keys(preflight).length > 0 ? ' (preflight)' : ''}`
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
  const pre = await app.inject({ method: 'OPTIONS', url: '/api/me', headers: { origin: ORIGIN, 'access-control-request-method': 'PUT' } })
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
  const session = await app.inject({ method: 'OPTIONS', url: '/session', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } })
  t.equal(session.headers['access-control-allow-methods'], 'GET,HEAD,POST,DELETE', '/session allows only its own methods')
  const refused = await app.inject({ method: 'OPTIONS', url: '/session', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
  t.equal(refused.statusCode, 404, 'a preflight from a foreign origin is not answered')
  t.equal(refused.headers['access-control-allow-origin'], undefined)
  const other = await app.inject({ method: 'OPTIONS', url: '/healthz', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } })
  t.equal(other.statusCode, 404, 'no preflight outside /session and /api')
  const health = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: ORIGIN } })
  t.same(corsHeaders(health.headers), { 'content-length': health.headers['content-length'] }, 'no CORS header, no Vary, outside /session and /api')
})

t.test('Vary: Origin is added to a Vary already set, once', async (t) => {
  const app = Fastify()
  app.addHook('onRequest', async (request, reply) => { reply.header('Vary', request.headers['x-vary'] as string) })
  app.register(crossSite, { config: { allowedOrigins: patterns } as unknown as Config })
  app.get('/session', async () => ({ ok: true }))
  t.teardown(() => app.close())
  const cases: Array<[string, string]> = [['Accept-Encoding', 'Accept-Encoding, Origin'], ['accept-encoding, origin', 'accept-encoding, origin'], ['*', '*']]
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
