// Evidence for the README's design notes: where @fastify/session (the customer's first choice) does
// not meet the service's contract (README), verified against the real library. If a future version fixes one, this test
// fails and the note (and our replacement of that part) should be revisited.
import t from 'tap'
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'

declare module 'fastify' {
  interface Session { customer?: number }
}

const SECRET = 'a-session-secret-of-at-least-32-characters'

/** A store with @fastify/session's interface that records what the library asks of it. */
function recordingStore (): session.SessionStore & { calls: string[], data: Map<string, unknown> } {
  const data = new Map<string, unknown>()
  const calls: string[] = []
  return {
    calls,
    data,
    get (id: string, cb: (err: null, s?: never) => void) { calls.push('get'); cb(null, data.get(id) as never) },
    set (id: string, s: unknown,
      cb: () => void) { calls.push('set'); data.set(id, JSON.parse(JSON.stringify(s))); cb() },
    destroy (id: string, cb: () => void) { calls.push('destroy'); data.delete(id); cb() }
  }
}

async function appWith (store: ReturnType<typeof recordingStore>) {
  const app = Fastify()
  await app.register(cookie)
  await app.register(session, {
    secret: SECRET,
    store,
    rolling: false,
    saveUninitialized: false,
    cookieName: '__Host-bc_session',
    cookie: { secure: true, httpOnly: true, sameSite: 'none', partitioned: true, path: '/', maxAge: 1800_000 }
  })
  app.post('/login', async (request) => { request.session.set('customer', 4927); return 'ok' })
  app.get('/read', async (request) => request.session.get('customer') ?? null)
  app.get('/healthz', async () => 'ok')
  return app
}

t.test('over plain HTTP (a TLS proxy in front, or localhost) it sends no Secure cookie at all', async (t) => {
  const store = recordingStore()
  const app = await appWith(store)
  const res = await app.inject({ method: 'POST', url: '/login' })
  t.equal(res.headers['set-cookie'], undefined, 'no Set-Cookie: the contract wants Secure whatever the protocol')
  const https = await app.inject({ method: 'POST', url: '/login', headers: { 'x-forwarded-proto': 'https' } })
  t.equal(https.headers['set-cookie'], undefined, 'and X-Forwarded-Proto does not help without trustProxy: true')
})

t.test('its cookie clearing drops Secure and Partitioned', async (t) => {
  const store = recordingStore()
  const app = await appWith(store)
  // A cookie for a session the store does not know: the library clears it.
  const res =
    await app.inject({ method: 'GET', url: '/read', cookies: { '__Host-bc_session': 'unknown.c2lnbmF0dXJl' } })
  const header = String(res.headers['set-cookie'])
  t.match(header, /__Host-bc_session=;/, 'it clears the cookie')
  t.notMatch(header, /Secure/, 'without Secure: browsers ignore a __Host- deletion without it')
  t.notMatch(header, /Partitioned/, 'without Partitioned: the partitioned cookie stays')
})

t.test('no touch in its store interface: sliding means rolling, a full SET per response', async (t) => {
  const store = recordingStore()
  // trustProxy + X-Forwarded-Proto: https, so that the library sets its cookie at all.
  const fastifyHttps = Fastify({ trustProxy: true })
  await fastifyHttps.register(cookie)
  await fastifyHttps.register(session,
    { secret: SECRET, store, rolling: true, saveUninitialized: false, cookie: { secure: true, maxAge: 1800_000 } })
  fastifyHttps.post('/login', async (request) => { request.session.set('customer', 4927); return 'ok' })
  fastifyHttps.get('/read', async (request) => request.session.get('customer') ?? null)
  fastifyHttps.get('/healthz', async () => 'ok')
  const proto = { 'x-forwarded-proto': 'https' }
  const created = await fastifyHttps.inject({ method: 'POST', url: '/login', headers: proto })
  const sessionCookie = String(created.headers['set-cookie']).split(';', 1)[0] as string
  store.calls.length = 0
  for (let i = 0; i < 5; i++) {
    await fastifyHttps.inject({
      method: 'GET',
      url: '/read',
      headers: { ...proto, cookie: sessionCookie }
    })
  }
  t.same(store.calls, ['get', 'set', 'get', 'set', 'get', 'set', 'get', 'set', 'get', 'set'],
    'every read is GET + a full SET: two round trips, not one')

  store.calls.length = 0
  await fastifyHttps.inject({ method: 'GET', url: '/healthz', headers: { ...proto, cookie: sessionCookie } })
  t.ok(store.calls.includes('get'), 'its hook reads the store on every route, /healthz included')

  const stored = JSON.stringify([...store.data.values()][0])
  t.match(stored, /"cookie":\{/, 'and the stored value carries the cookie options')
  t.ok(stored.length > 100, `stored value: ${stored.length} bytes for one customer id`)
})
