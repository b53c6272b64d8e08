// The OpenAPI document is generated from the route schemas: every route is in it, with responses.
import t from 'tap'
import { build } from '../support/app.js'

t.test('/docs/json lists every route with request and response schemas; /docs serves the UI', async (t) => {
  const { app } = await build(t, {
    redis: 'memory',
    env: { ADMIN_TOKEN: 'admin-token-123456', BC_STORE_HASH: 'abc123', BC_ACCESS_TOKEN: 'x-token', BC_API_URL: 'http://127.0.0.1:9', UPSTREAM_URL: 'http://127.0.0.1:9', UPSTREAM_SIGNING_SECRET: 'upstream-secret-0123456789' }
  })
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  const documented = new Set(Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)))
  for (const [method, url] of [['POST', '/session'], ['GET', '/session'], ['DELETE', '/session'],
    ['GET', '/healthz'], ['GET', '/readyz'],
    ['GET', '/metrics'], ['GET', '/api/me'], ['GET', '/storefront.js'], ['DELETE', '/admin/sessions'], ['POST',
      '/webhooks/bigcommerce'],
    ['GET', '/api/orders/recent']] as const) {
    t.ok(documented.has(`${method} ${url}`), `${method} ${url} is documented`)
    const op = doc.paths[url]?.[method.toLowerCase()]
    t.ok(op?.responses !== undefined && Object.keys(op.responses).length > 0, `${method} ${url} has response schemas`)
  }
  t.ok(doc.paths['/session'].post.requestBody, 'POST /session has a request schema')
  t.ok(Object.keys(doc.paths).some((p) => p.startsWith('/api/') && p !== '/api/me' && p !== '/api/orders/recent'),
    'the upstream proxy routes are documented')
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses?: object }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      t.ok(op.responses !== undefined && Object.keys(op.responses).length > 0,
        `${method.toUpperCase()} ${path} has responses`)
    }
  }
  const ui = await app.inject({ method: 'GET', url: '/docs' })
  t.ok(ui.statusCode === 200 || ui.statusCode === 302, `UI answers (${ui.statusCode})`)
})

// Production's default is DOCS off (test/config.test.ts); here the switch itself.
t.test('with docs off (production\'s default), /docs and /docs/json are not served: they list the admin routes',
  async (t) => {
    const { app } = await build(t, { redis: 'memory', env: { ADMIN_TOKEN: 'admin-token-123456', DOCS: 'false' } })
    for (const url of ['/docs', '/docs/json', '/docs/static/index.html']) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(res.statusCode, 404, `${url}: 404`)
      t.notMatch(res.body, /admin\/sessions/, `${url}: nothing of the document`)
    }
    t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the service itself answers')
    const on = await build(t, { redis: 'memory', env: { DOCS: 'true' } })
    t.equal((await on.app.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200, 'DOCS=true serves them')
  })
