// CR/LF or oversized values in Origin, X-CSRF, forwarded headers or token claims are never reflected
// into response headers; oversized headers get 431 before any of our code runs.
import t from 'tap'
import { connect } from 'node:net'
import type { LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { build, startRedis, ORIGIN } from '../support/app.js'
import { errorShapeProblem } from '../support/responses.js'
import { getSession, sessionCookieOf, postSession, signIn, api } from '../support/session.js'
import { claimsJson, HS512_HEADER, signRaw } from '../support/tokens.js'
import { appWithUpstream } from '../support/upstream-server.js'

const MARK = 'injected'
const CRLF = `\r\nSet-Cookie: ${MARK}=1\r\nX-${MARK}: 1`
const HUGE = 'a'.repeat(6000)

function assertClean (t: Test, res: LightMyRequestResponse, what: string): void {
  for (const [name, value] of Object.entries(res.headers)) {
    const text = Array.isArray(value) ? value.join('\n') : String(value)
    t.notOk(name.includes(MARK) || text.includes(MARK) || /[\r\n]/.test(text) || text.includes(HUGE.slice(0, 200)),
      `${what}: header ${name} is clean`)
  }
}

t.test('Origin and X-CSRF: refused, never echoed', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  const origins = [`${ORIGIN}${CRLF}`, `${ORIGIN}\n`, `https://store-${HUGE}.mybigcommerce.com`, `${ORIGIN}/${HUGE}`,
      `${ORIGIN}\u0000`]
  for (const origin of origins) {
    const res = await postSession(app, { headers: { origin } })
    t.equal(res.statusCode, 403, 'POST refused')
    t.equal(res.json().code, 'BCX_ORIGIN_REFUSED')
    t.equal(res.headers['access-control-allow-origin'], undefined)
    assertClean(t, res, 'POST')
    const read = await getSession(app, cookie, origin)
    t.equal(read.statusCode, 401, 'a read with a foreign Origin does not see the session')
    assertClean(t, read, 'GET')
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/session',
      headers: { origin, 'access-control-request-method': 'POST' }
    })
    t.equal(preflight.headers['access-control-allow-origin'], undefined, 'preflight not allowed')
    assertClean(t, preflight, 'OPTIONS')
  }
  for (const csrf of [`1${CRLF}`, HUGE, '1 ', '01']) {
    const res = await postSession(app, { headers: { 'x-csrf': csrf } })
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'BCX_CSRF_HEADER_MISSING')
    assertClean(t, res, 'X-CSRF')
  }
  t.equal((await redis.client.keys('bcx:*:s:*')).length, 1, 'nothing changed')
})

t.test('forwarded headers from a trusted proxy: used for the address, never reflected', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { TRUST_PROXY: '10.0.0.0/8', RATE_LIMIT_EXCHANGE: '5' } })
  const forwarded: Array<Record<string, string>> = [
    { 'x-forwarded-for': `203.0.113.5${CRLF}` },
    { 'x-forwarded-for': Array.from({ length: 500 }, (_, i) => `198.51.${i % 250}.${i % 200}`).join(', ') },
    { 'x-forwarded-proto': `https${CRLF}`, 'x-forwarded-host': `${HUGE}${CRLF}` },
    { forwarded: `for=1.2.3.4;proto=https${CRLF}` }
  ]
  for (const headers of forwarded) {
    for (const remoteAddress of ['10.0.0.2', '192.0.2.1']) {
      const res = await postSession(app, { headers, remoteAddress })
      t.ok([401, 429].includes(res.statusCode), `answered ${res.statusCode}`)
      t.equal(errorShapeProblem(res), null)
      assertClean(t, res, 'forwarded')
    }
  }
})

t.test('claims with CR/LF or long values stay in the JSON body', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const payload = claimsJson({ customerExtra: `,"note":"${'n'.repeat(1500)}"` })
    .replace(/"email":"[^"]*"/, `"email":"a@b.c\\r\\nSet-Cookie: ${MARK}=1"`)
    .replace('"group_id":"6"', `"group_id":"6\\r\\nX-${MARK}: 1"`)
  const res = await postSession(app, { payload: JSON.stringify({ token: signRaw(HS512_HEADER, payload) }) })
  t.equal(res.statusCode, 201)
  t.equal(res.json().customer.email, `a@b.c\r\nSet-Cookie: ${MARK}=1`, 'kept as data')
  assertClean(t, res, 'exchange')
  const read = await getSession(app, sessionCookieOf(res))
  t.equal(read.statusCode, 200)
  assertClean(t, read, 'read')
})

t.test('claims with CR/LF reach the upstream percent-encoded, never as headers of their own', async (t) => {
  const { app, upstream } = await appWithUpstream(t)
  const email = `a@b.c\r\nX-${MARK}: 1`
  const payload = claimsJson().replace(/"email":"[^"]*"/, `"email":${JSON.stringify(email)}`).replace('"group_id":"6"',
      `"group_id":"6\\r\\nX-${MARK}-2: 1"`)
  const res = await postSession(app, { payload: JSON.stringify({ token: signRaw(HS512_HEADER, payload) }) })
  t.equal(res.statusCode, 201)
  const proxied = await api(app, sessionCookieOf(res), '/api/anything')
  t.equal(proxied.statusCode, 200)
  const [received] = upstream.received
  t.equal(received?.headers['x-customer-email'], encodeURIComponent(email))
  t.notOk(Object.keys(received?.headers ?? {}).some((name) => name.includes(MARK)), 'no header injected upstream')
  assertClean(t, proxied, 'proxied answer')
})

/** Sends raw bytes to a real listener; resolves with the whole answer. */
async function raw (port: number, text: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk) => { answer += chunk.toString() })
    socket.on('close', () => resolve(answer))
    socket.on('error', (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' ? resolve(answer) : reject(err))
    socket.end(text)
  })
}

t.test('real HTTP: oversized headers get 431, CR inside a header value gets 400', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }

  for (const name of ['Origin', 'X-CSRF', 'X-Forwarded-For', 'Cookie']) {
    const answer = await raw(port,
        `POST /session HTTP/1.1\r\nHost: x\r\n${name}: ${'a'.repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`)
    t.match(answer, /^HTTP\/1\.1 431 /, `${name}: 431`)
    t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)),
      { statusCode: 431, code: 'HPE_HEADER_OVERFLOW', error: 'Request Header Fields Too Large' })
  }
  const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${'v'.repeat(10)}`).join('\r\n')
  t.match(await raw(port, `GET /session HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`), /^HTTP\/1\.1 431 /,
    'too many headers: 431')

  const crInValue =
    await raw(port, `GET /session HTTP/1.1\r\nHost: x\r\nOrigin: ${ORIGIN}\rSet-Cookie: ${MARK}=1\r\n\r\n`)
  t.match(crInValue, /^HTTP\/1\.1 400 /)
  t.match(JSON.parse(crInValue.slice(crInValue.indexOf('\r\n\r\n') + 4)),
    { statusCode: 400, code: /^HPE_/, error: 'Bad Request' })
  t.notMatch(crInValue, new RegExp(MARK))
  t.equal((await redis.client.keys('bcx:*:s:*')).length, 0)
})
