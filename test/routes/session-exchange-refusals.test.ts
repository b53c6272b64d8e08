// Every bad input for POST /session: status, our error code, and no session made.
import t from 'tap'
import { build, startRedis, ORIGIN, CLIENT_ID } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { exchange, sessionCookieOf, setCookieHeader, getSession, postSession } from '../support/session.js'
import { token, rawJwt, validClaims } from '../support/tokens.js'

const now = (): number => Math.floor(Date.now() / 1000)
const customer = { id: 4927, email: 'john.doe@gmail.com', group_id: '6' }
const HS256 = { alg: 'HS256', typ: 'JWT' }
/** The text/plain form of the exchange: the token as the whole body. */
const TEXT = { 'content-type': 'text/plain' }

interface Case { name: string, token: () => Promise<string> | string, status: number, code: string }

/** A validly signed token whose claims, `over` laid on valid ones, are refused with `code` (401). */
const claimsCase = (name: string, over: Record<string, unknown>, code = 'BCX_TOKEN_CLAIMS'): Case =>
  ({ name, token: () => rawJwt(validClaims(over)), status: 401, code })
/** A token whose form or signature is refused: 401 BCX_TOKEN_INVALID. */
const invalidCase = (name: string, make: () => Promise<string> | string): Case =>
  ({ name, token: make, status: 401, code: 'BCX_TOKEN_INVALID' })

const tokenCases: Case[] = [
  claimsCase('expired token', { iat: now() - 800, exp: now() - 200 }, 'BCX_TOKEN_EXPIRED'),
  claimsCase('iat older than 15 minutes', { iat: now() - 1000, exp: now() + 300 }, 'BCX_TOKEN_EXPIRED'),
  claimsCase('iat in the future', { iat: now() + 300, exp: now() + 1200 }),
  invalidCase('alg none with a signature part', () => rawJwt(validClaims(), { header: { alg: 'none' } })),
  invalidCase('alg hs512 (case matters)',
    () => rawJwt(validClaims(), { header: { typ: 'JWT', alg: 'hs512' }, alg: 'HS512' })),
  invalidCase('alg RS256', () => rawJwt(validClaims(), { header: { alg: 'RS256' }, alg: 'RS256' })),
  claimsCase('wrong aud', { aud: 'another-app' }),
  claimsCase('aud an array containing the client id', { aud: [CLIENT_ID, 'another-app'] }),
  claimsCase('wrong iss', { iss: 'bc/other' }),
  claimsCase('wrong operation (a customer login token)', { operation: 'customer_login' }),
  claimsCase('no operation', { operation: undefined }),
  claimsCase('wrong sub', { sub: 'xyz789' }),
  claimsCase('missing exp', { exp: undefined }),
  claimsCase('missing iat', { iat: undefined }),
  claimsCase('exp not a number', { exp: 'soon' }),
  claimsCase('missing customer', { customer: undefined }),
  claimsCase('customer.id as a string', { customer: { ...customer, id: '4927' } }),
  claimsCase('customer.id negative', { customer: { ...customer, id: -4 } }),
  claimsCase('customer.id zero', { customer: { ...customer, id: 0 } }),
  claimsCase('customer.id fractional', { customer: { ...customer, id: 1.5 } }),
  claimsCase('customer.id an object', { customer: { ...customer, id: { $gt: 0 } } }),
  claimsCase('customer an array', { customer: [customer] }),
  claimsCase('customer.email missing', { customer: { id: 4927 } }),
  claimsCase('customer.group_id a number', { customer: { ...customer, group_id: 6 } }),
  claimsCase('store_hash missing', { store_hash: undefined }),
  {
    name: 'store outside the allow-list',
    token: () => rawJwt(validClaims({ store_hash: 'evil42', sub: 'evil42' })),
    status: 403,
    code: 'BCX_STORE_NOT_ALLOWED'
  },
  invalidCase('not three segments', async () => (await token()).split('.').slice(0, 2).join('.')),
  invalidCase('four segments', async () => `${await token()}.abc`),
  invalidCase('bad base64url', async () => (await token()).replace('.', '!.')),
  invalidCase('standard base64 characters', async () => (await token()).replace(/.$/, '+')),
  invalidCase('padding in the signature', async () => `${await token()}=`),
  invalidCase('padding in the header', async () => (await token()).replace('.', '=.')),
  invalidCase('leading whitespace', async () => ` ${await token()}`),
  invalidCase('trailing newline', async () => `${await token()}\n`),
  invalidCase('whitespace inside', async () => (await token()).replace('.', '. ')),
  invalidCase('payload not JSON', () => rawJwt('{"customer": not json')),
  invalidCase('payload a JSON array', () => rawJwt([1, 2])),
  invalidCase('header not JSON', () => rawJwt(validClaims(), { header: 'alg:HS256' })),
  invalidCase('crit header',
    () => rawJwt(validClaims(), { header: { alg: 'HS512', crit: ['b64'], b64: false } })),
  invalidCase('crit header (HS256)',
    () => rawJwt(validClaims(), { header: { alg: 'HS256', crit: ['b64'], b64: false }, alg: 'HS256' })),
  invalidCase('bad signature (HS256)',
    () => rawJwt(validClaims(), { header: HS256, alg: 'HS256', secret: 'not-the-client-secret' })),
  invalidCase('a huge token', () => rawJwt(validClaims({ pad: 'x'.repeat(3500) })))
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
  const [json, bad] = ['application/json', 'BCX_BAD_REQUEST']
  const [tooLarge, media] = ['FST_ERR_CTP_BODY_TOO_LARGE', 'FST_ERR_CTP_INVALID_MEDIA_TYPE']
  // Each: what it is, its content type, its body, the status and the code.
  const cases: Array<[string, string | undefined, string | undefined, number, string]> = [
    ['empty JSON body', json, '', 400, bad],
    ['empty text body', 'text/plain', '', 400, bad],
    ['no body, no content type', undefined, undefined, 400, bad],
    ['JSON without token', json, '{"jwt":"a.b.c"}', 400, bad],
    ['token a number', json, '{"token":123}', 400, bad],
    ['token null', json, '{"token":null}', 400, bad],
    ['token an array', json, '{"token":["a.b.c"]}', 400, bad],
    ['JSON array', json, '[]', 400, bad],
    ['broken JSON', json, '{"token": "a.b.c"', 400, bad],
    ['JSON with __proto__', json, '{"__proto__":{"token":"x"}}', 400, bad],
    ['a 1 MiB body', json, JSON.stringify({ token: 'x'.repeat(1024 * 1024) }), 413, tooLarge],
    ['just over 8 KiB', 'text/plain', 'x'.repeat(8 * 1024 + 1), 413, tooLarge],
    ['application/xml', 'application/xml', '<token>a.b.c</token>', 415, media],
    ['form encoded', 'application/x-www-form-urlencoded', 'token=a.b.c', 415, media]
  ]
  for (const [name, type, payload, status, code] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/session',
      headers: { ...headers, ...(type !== undefined && { 'content-type': type }) },
      ...(payload !== undefined && { payload })
    })
    t.equal(res.statusCode, status, `${name}: status`)
    t.equal(res.json().code, code, `${name}: code`)
    t.equal(res.headers['set-cookie'], undefined, `${name}: no cookie`)
  }
  t.equal((await redis.client.keys('*')).length, 0, 'nothing was written to Redis')
})

t.test('POST /session: the cross-site rules come first', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const jwt = await token()
  const [origin, csrf] = ['BCX_ORIGIN_REFUSED', 'BCX_CSRF_HEADER_MISSING']
  const cases: Array<[string, Record<string, string>, string]> = [
    ['Origin outside the list', { origin: 'https://evil.example', 'x-csrf': '1' }, origin],
    ['Origin a look-alike suffix', { origin: 'https://mybigcommerce.com.evil.example', 'x-csrf': '1' }, origin],
    ['Origin two labels deep', { origin: 'https://a.b.mybigcommerce.com', 'x-csrf': '1' }, origin],
    ['Origin http instead of https', { origin: 'http://store-abc123.mybigcommerce.com', 'x-csrf': '1' }, origin],
    ['Origin null', { origin: 'null', 'x-csrf': '1' }, origin],
    ['no Origin', { 'x-csrf': '1' }, origin],
    ['no X-CSRF', { origin: ORIGIN }, csrf],
    ['X-CSRF not 1', { origin: ORIGIN, 'x-csrf': 'true' }, csrf]
  ]
  for (const [name, headers, code] of cases) {
    // A valid token: only the cross-site rule can refuse it, and it must not be spent.
    const res = await app.inject({
      method: 'POST',
      url: '/session',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: { token: jwt }
    })
    t.equal(res.statusCode, 403, `${name}: status`)
    t.equal(res.json().code, code, `${name}: code`)
    t.equal(res.headers['set-cookie'], undefined, `${name}: no cookie`)
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

    const asText = await postSession(app, { headers: TEXT, payload: jwt })
    t.equal(asText.statusCode, 409, 'the text/plain form is the same token')

    t.equal(await sessionKeyCount(redis), 1, 'exactly one session')
    const guard = await redis.client.keys('bcx:*:g:*')
    t.equal(guard.length, 1)
    const ttl = await redis.client.pttl(guard[0] as string)
    t.ok(ttl > 800_000 && ttl <= (900 + 61) * 1000, `the guard lives until the token expires (${ttl} ms)`)
    t.equal((await getSession(app, cookie, undefined)).statusCode, 200, 'the session of the first exchange still works')
  })

t.test('text/plain body, group_id absent or null, and setCookie of a fresh id each time', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const res = await postSession(app, { headers: TEXT, payload: await token({ groupId: null }) })
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
  const res = await postSession(app, { payload: JSON.stringify(await token()) })
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
  const res = await postSession(app,
    { headers: { 'content-type': 'Text/Plain; charset=UTF-8' }, payload: await token() })
  t.equal(res.statusCode, 201)
})
