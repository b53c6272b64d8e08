// Every bad input for POST /session: status, our error code, and no session made.
import t from 'tap'
import { build, startRedis, ORIGIN, CLIENT_ID } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { exchange, sessionCookieOf, setCookieHeader } from '../support/session.js'
import { token, rawJwt, validClaims } from '../support/tokens.js'

const now = (): number => Math.floor(Date.now() / 1000)
const customer = { id: 4927, email: 'john.doe@gmail.com', group_id: '6' }

interface Case { name: string, token: () => Promise<string> | string, status: number, code: string }

const tokenCases: Case[] = [
  { name: 'expired token', token: () => rawJwt(validClaims({ iat: now() - 800, exp: now() - 200 })), status: 401, code: 'BCX_TOKEN_EXPIRED' },
  { name: 'iat older than 15 minutes', token: () => rawJwt(validClaims({ iat: now() - 1000, exp: now() + 300 })), status: 401, code: 'BCX_TOKEN_EXPIRED' },
  { name: 'iat in the future', token: () => rawJwt(validClaims({ iat: now() + 300, exp: now() + 1200 })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'alg none with a signature part', token: () => rawJwt(validClaims(), { header: { alg: 'none' } }), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'alg hs512 (case matters)', token: () => rawJwt(validClaims(), { header: { typ: 'JWT', alg: 'hs512' }, alg: 'HS512' }), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'alg RS256', token: () => rawJwt(validClaims(), { header: { alg: 'RS256' }, alg: 'RS256' }), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'wrong aud', token: () => rawJwt(validClaims({ aud: 'another-app' })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'aud an array containing the client id', token: () => rawJwt(validClaims({ aud: [CLIENT_ID, 'another-app'] })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'wrong iss', token: () => rawJwt(validClaims({ iss: 'bc/other' })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'wrong operation (a customer login token)', token: () => rawJwt(validClaims({ operation: 'customer_login' })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'no operation', token: () => rawJwt(validClaims({ operation: undefined })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'wrong sub', token: () => rawJwt(validClaims({ sub: 'xyz789' })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'missing exp', token: () => rawJwt(validClaims({ exp: undefined })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'missing iat', token: () => rawJwt(validClaims({ iat: undefined })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'exp not a number', token: () => rawJwt(validClaims({ exp: 'soon' })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'missing customer', token: () => rawJwt(validClaims({ customer: undefined })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'customer.id as a string', token: () => rawJwt(validClaims({ customer: { ...customer, id: '4927' } })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'customer.id negative', token: () => rawJwt(validClaims({ customer: { ...customer, id: -4 } })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'customer.id zero', token: () => rawJwt(validClaims({ customer: { ...customer, id: 0 } })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'customer.id fractional', token: () => rawJwt(validClaims({ customer: { ...customer, id: 1.5 } })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'customer.id an object', token: () => rawJwt(validClaims({ customer: { ...customer, id: { $gt: 0 } } })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'customer an array', token: () => rawJwt(validClaims({ customer: [customer] })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'customer.email missing', token: () => rawJwt(validClaims({ customer: { id: 4927 } })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'customer.group_id a number', token: () => rawJwt(validClaims({ customer: { ...customer, group_id: 6 } })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'store_hash missing', token: () => rawJwt(validClaims({ store_hash: undefined })), status: 401, code: 'BCX_TOKEN_CLAIMS' },
  { name: 'store outside the allow-list', token: () => rawJwt(validClaims({ store_hash: 'evil42', sub: 'evil42' })), status: 403, code: 'BCX_STORE_NOT_ALLOWED' },
  { name: 'not three segments', token: async () => (await token()).split('.').slice(0, 2).join('.'), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'four segments', token: async () => `${await token()}.abc`, status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'bad base64url', token: async () => (await token()).replace('.', '!.'), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'standard base64 characters', token: async () => (await token()).replace(/.$/, '+'), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'padding in the signature', token: async () => `${await token()}=`, status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'padding in the header', token: async () => (await token()).replace('.', '=.'), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'leading whitespace', token: async () => ` ${await token()}`, status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'trailing newline', token: async () => `${await token()}\n`, status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'whitespace inside', token: async () => (await token()).replace('.', '. '), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'payload not JSON', token: () => rawJwt('{"customer": not json'), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'payload a JSON array', token: () => rawJwt([1, 2]), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'header not JSON', token: () => rawJwt(validClaims(), { header: 'alg:HS256' }), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'crit header', token: () => rawJwt(validClaims(), { header: { alg: 'HS512', crit: ['b64'], b64: false } }), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'crit header (HS256)', token: () => rawJwt(validClaims(), { header: { alg: 'HS256', crit: ['b64'], b64: false }, alg: 'HS256' }), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'bad signature (HS256)', token: () => rawJwt(validClaims(), { header: { alg: 'HS256', typ: 'JWT' }, alg: 'HS256', secret: 'not-the-client-secret' }), status: 401, code: 'BCX_TOKEN_INVALID' },
  { name: 'a huge token', token: () => rawJwt(validClaims({ pad: 'x'.repeat(3500) })), status: 401, code: 'BCX_TOKEN_INVALID' }
]

t.test('POST /session refuses bad tokens', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  for (const c of tokenCases) {
    const res = await exchange(app, await c.token())
    t.equal(res.statusCode, c.status, `${c.name}: status`)
    t.equal(res.json().code, c.code, `${c.name}: code`)
    t.same(Object.keys(res.json()).sort(), ['code', 'error', 'message', 'statusCode'], `${c.name}: error shape`)
    t.equal(res.headers['set-cookie'], undefined, `${c.name}: no cookie`)
  }
  t.equal(await sessionKeyCount(redis), 0, 'no session was made')
  t.equal((await redis.client.keys('*')).length, 0, 'nothing at all was written to Redis')
})

t.test('POST /session refuses bad bodies', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const headers = { origin: ORIGIN, 'x-csrf': '1' }
  const cases = [
    { name: 'empty JSON body', type: 'application/json', payload: '', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'empty text body', type: 'text/plain', payload: '', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'no body, no content type', type: undefined, payload: undefined, status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'JSON without token', type: 'application/json', payload: '{"jwt":"a.b.c"}', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'token a number', type: 'application/json', payload: '{"token":123}', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'token null', type: 'application/json', payload: '{"token":null}', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'token an array', type: 'application/json', payload: '{"token":["a.b.c"]}', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'JSON array', type: 'application/json', payload: '[]', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'broken JSON', type: 'application/json', payload: '{"token": "a.b.c"', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'JSON with __proto__', type: 'application/json', payload: '{"__proto__":{"token":"x"}}', status: 400, code: 'BCX_BAD_REQUEST' },
    { name: 'a 1 MiB body', type: 'application/json', payload: JSON.stringify({ token: 'x'.repeat(1024 * 1024) }), status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' },
    { name: 'just over 8 KiB', type: 'text/plain', payload: 'x'.repeat(8 * 1024 + 1), status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' },
    { name: 'application/xml', type: 'application/xml', payload: '<token>a.b.c</token>', status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' },
    { name: 'form encoded', type: 'application/x-www-form-urlencoded', payload: 'token=a.b.c', status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }
  ]
  for (const c of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/session',
      headers: {
        ...headers,
        ...(c.type !== undefined && { 'content-type': c.type })
      },
      ...(c.payload !== undefined &&
            { payload: c.payload })
    })
    t.equal(res.statusCode, c.status, `${c.name}: status`)
    t.equal(res.json().code, c.code, `${c.name}: code`)
    t.equal(res.headers['set-cookie'], undefined, `${c.name}: no cookie`)
  }
  t.equal((await redis.client.keys('*')).length, 0, 'nothing was written to Redis')
})

t.test('POST /session: the cross-site rules come first', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const jwt = await token()
  const cases = [
    { name: 'Origin outside the list', headers: { origin: 'https://evil.example', 'x-csrf': '1' }, code: 'BCX_ORIGIN_REFUSED' },
    { name: 'Origin a look-alike suffix', headers: { origin: 'https://mybigcommerce.com.evil.example', 'x-csrf': '1' }, code: 'BCX_ORIGIN_REFUSED' },
    { name: 'Origin two labels deep', headers: { origin: 'https://a.b.mybigcommerce.com', 'x-csrf': '1' }, code: 'BCX_ORIGIN_REFUSED' },
    { name: 'Origin http instead of https', headers: { origin: 'http://store-abc123.mybigcommerce.com', 'x-csrf': '1' }, code: 'BCX_ORIGIN_REFUSED' },
    { name: 'Origin null', headers: { origin: 'null', 'x-csrf': '1' }, code: 'BCX_ORIGIN_REFUSED' },
    { name: 'no Origin', headers: { 'x-csrf': '1' }, code: 'BCX_ORIGIN_REFUSED' },
    { name: 'no X-CSRF', headers: { origin: ORIGIN }, code: 'BCX_CSRF_HEADER_MISSING' },
    { name: 'X-CSRF not 1', headers: { origin: ORIGIN, 'x-csrf': 'true' }, code: 'BCX_CSRF_HEADER_MISSING' }
  ]
  for (const c of cases) {
    // A valid token: only the cross-site rule can refuse it, and it must not be spent.
    const res = await app.inject({
      method: 'POST',
      url: '/session',
      headers: { ...c.headers, 'content-type': 'application/json' },
      payload: { token: jwt }
    })
    t.equal(res.statusCode, 403, `${c.name}: status`)
    t.equal(res.json().code, c.code, `${c.name}: code`)
    t.equal(res.headers['set-cookie'], undefined, `${c.name}: no cookie`)
  }
  t.equal((await redis.client.keys('*')).length, 0, 'nothing was written to Redis')
  const ok = await exchange(app, jwt)
  t.equal(ok.statusCode, 201, 'the token was not spent by the refused attempts')
})

t.test('single use: a replayed token gets 409, in either body form; its guard lives as long as the token',
  async (t) => {
    const redis = await startRedis(t)
    const { app } = await build(t, { redis })
    const jwt = await token()
    const first = await exchange(app, jwt)
    t.equal(first.statusCode, 201)
    const cookie = sessionCookieOf(first) as string

    const again = await exchange(app, jwt)
    t.equal(again.statusCode, 409)
    t.equal(again.json().code, 'BCX_TOKEN_REPLAYED')
    t.equal(again.headers['set-cookie'], undefined)

    const asText = await app.inject({
      method: 'POST',
      url: '/session',
      headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'text/plain' },
      payload: jwt
    })
    t.equal(asText.statusCode, 409, 'the text/plain form is the same token')

    t.equal(await sessionKeyCount(redis), 1, 'exactly one session')
    const guard = await redis.client.keys('bcx:*:g:*')
    t.equal(guard.length, 1)
    const ttl = await redis.client.pttl(guard[0] as string)
    t.ok(ttl > 800_000 && ttl <= (900 + 61) * 1000, `the guard lives until the token expires (${ttl} ms)`)
    const res = await app.inject({ method: 'GET', url: '/session', headers: { 'x-csrf': '1', cookie } })
    t.equal(res.statusCode, 200, 'the session of the first exchange still works')
  })

t.test('text/plain body, group_id absent or null, and setCookie of a fresh id each time', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const res = await app.inject({
    method: 'POST',
    url: '/session',
    headers: {
      origin: ORIGIN,
      'x-csrf': '1',
      'content-type': 'text/plain'
    },
    payload: await token({ groupId: null })
  })
  t.equal(res.statusCode, 201)
  t.equal(res.json().customer.group_id, null)
  const absent = await exchange(app, rawJwt(validClaims({ customer: { id: 4927, email: 'a@b.c' } })))
  t.equal(absent.statusCode, 201)
  t.equal(absent.json().customer.group_id, null)
  t.not(sessionCookieOf(res), sessionCookieOf(absent))
  t.match(setCookieHeader(absent), /HttpOnly; Secure/)
})

t.test('a JSON string body is not the text/plain form', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const res = await app.inject({
    method: 'POST',
    url: '/session',
    headers: {
      origin: ORIGIN,
      'x-csrf': '1',
      'content-type': 'application/json'
    },
    payload: JSON.stringify(await token())
  })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'BCX_BAD_REQUEST')
  t.equal((await redis.client.keys('*')).length, 0)
})

t.test('the order of checks: cross-site, then rate limit, then body, then token', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { RATE_LIMIT_EXCHANGE: '2' } })
  const post = (headers: Record<string, string>, payload: string) =>
    app.inject({ method: 'POST', url: '/session', remoteAddress: '198.51.100.7', headers, payload })
  const xml = { 'content-type': 'application/xml' }
  const refusedFirst = await post({ ...xml, origin: 'https://evil.example', 'x-csrf': '1' }, '<x/>')
  t.equal(refusedFirst.statusCode, 403, '403 beats 415')
  t.equal(refusedFirst.json().code, 'BCX_ORIGIN_REFUSED')
  const big = await post({ 'content-type': 'text/plain', origin: ORIGIN }, 'x'.repeat(9000))
  t.equal(big.json().code, 'BCX_CSRF_HEADER_MISSING', '403 beats 413')
  // Two tries are allowed from this address; both are spent on bad bodies...
  t.equal((await post({ ...xml, origin: ORIGIN, 'x-csrf': '1' }, '<x/>')).statusCode, 415)
  t.equal((await post({ 'content-type': 'application/json', origin: ORIGIN, 'x-csrf': '1' }, '{')).statusCode, 400)
  // ...so the third answers 429 before its body is looked at.
  for (const [type, payload] of [['application/xml', '<x/>'], ['text/plain', 'x'.repeat(9000)],
    ['application/json', '{']]) {
    const res = await post({ 'content-type': type as string, origin: ORIGIN, 'x-csrf': '1' }, payload as string)
    t.equal(res.statusCode, 429, `429 beats the body check (${type})`)
    t.equal(res.json().code, 'BCX_RATE_LIMITED')
    t.ok(Number(res.headers['retry-after']) > 0, 'with Retry-After')
  }
  t.equal(await sessionKeyCount(redis), 0)
})

t.test('media types compare case-insensitively', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const res = await app.inject({
    method: 'POST',
    url: '/session',
    headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'Text/Plain; charset=UTF-8' },
    payload: await token()
  })
  t.equal(res.statusCode, 201)
})
