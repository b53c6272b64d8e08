// The error handler on the real app: an error that is not ours answers 500 BCX_INTERNAL with a fixed
// message, whatever it says or whatever code another library gave it; the text goes to the log only.
import t from 'tap'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { BCX_STORE_UNAVAILABLE } from '../../src/errors.js'
import { testConfig } from '../support/app.js'

const DETAIL = 'secret internal detail'

async function appWith (t: Tap,
  routes: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance, logs: string[] }> {
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const app = buildApp(testConfig(), { logger: { level: 'info', stream } })
  routes(app)
  t.teardown(() => app.close())
  await app.ready()
  return { app, logs }
}
type Tap = { teardown: (fn: () => unknown) => void }

t.test('a plain Error: 500 BCX_INTERNAL, a fixed message, the detail in the log only', async (t) => {
  const { app, logs } = await appWith(t, (app) => {
    app.get('/boom', async () => { throw new Error(DETAIL) })
    app.get('/boom-sync', () => { throw new TypeError(`${DETAIL} (sync)`) })
  })
  for (const url of ['/boom', '/boom-sync']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 500, url)
    t.same(res.json(),
      { statusCode: 500, code: 'BCX_INTERNAL', error: 'Internal Server Error', message: 'Internal server error' }, url)
    t.notOk(res.body.includes('secret'), `${url}: the detail is not in the body`)
  }
  const logged = logs.filter((l) => l.includes('"level":50'))
  t.equal(logged.length, 2, 'each is logged as an error')
  t.ok(logged.every((l) => l.includes(DETAIL) && l.includes('BCX_INTERNAL')), 'with its detail and our code')
})

t.test('an error with another library\'s code, or a 5xx status of its own: still BCX_INTERNAL, still no detail',
  async (t) => {
    const { app } = await appWith(t, (app) => {
      app.get('/coded', async () => {
        throw Object.assign(new Error(`${DETAIL}: open /srv/app/keys/10.0.0.7.pem`), { code: 'EACCES' })
      })
      app.get('/fastify-coded',
        async () => { throw Object.assign(new Error(DETAIL), { code: 'FST_ERR_SOMETHING', statusCode: 500 }) })
      app.get('/status-503', async () => { throw Object.assign(new Error(DETAIL), { statusCode: 503 }) })
      app.get('/reply-500', async (_request, reply) => { reply.code(500); throw new Error(DETAIL) })
    })
    for (const url of ['/coded', '/fastify-coded', '/status-503', '/reply-500']) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(res.statusCode, 500, url)
      t.equal(res.json().code, 'BCX_INTERNAL', url)
      t.equal(res.json().message, 'Internal server error', url)
      t.notOk(res.body.includes('secret') || res.body.includes('10.0.0.7'), `${url}: no detail`)
    }
  })

t.test('our own 5xx keep their code and fixed message; client errors keep theirs', async (t) => {
  const { app } = await appWith(t, (app) => {
    app.get('/store-down', async () => { throw new BCX_STORE_UNAVAILABLE({ cause: new Error(DETAIL) }) })
    app.post('/json', async () => ({ ok: true }))
  })
  const down = await app.inject({ method: 'GET', url: '/store-down' })
  t.equal(down.statusCode, 503)
  t.same(down.json(), {
    statusCode: 503,
    code: 'BCX_STORE_UNAVAILABLE',
    error: 'Service Unavailable',
    message: 'The session store did not answer in time'
  })
  t.notOk(down.body.includes('secret'))
  const broken = await app.inject({
    method: 'POST',
    url: '/json',
    headers: { 'content-type': 'application/json' },
    payload: '{"a":'
  })
  t.equal(broken.statusCode, 400)
  t.equal(broken.json().code, 'BCX_BAD_REQUEST')
  const media = await app.inject({
    method: 'POST',
    url: '/json',
    headers: { 'content-type': 'application/x-unknown' },
    payload: 'x'
  })
  t.equal(media.statusCode, 415)
  t.equal(media.json().code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
})
