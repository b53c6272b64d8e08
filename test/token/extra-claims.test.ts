// Extra claims in a validly signed token (__proto__, constructor, isAdmin, ...) are dropped: never
// copied into the session, the answer or Redis, and never reaching any prototype.
import t from 'tap'
import { build, startRedis } from '../support/app.js'
import { dumpRedis } from '../support/redis-state.js'
import { getSession, sessionCookieOf, postSession } from '../support/session.js'
import { claimsJson, HS256_HEADER, HS512_HEADER, signRaw } from '../support/tokens.js'

const POISON = '{"isAdmin":true,"polluted":"yes","id":1,"email":"root@example.com"}'

const PROTO = `,"__proto__":${POISON},"constructor":{"prototype":${POISON}}`

const cases: Array<{ name: string, extra?: string, customerExtra?: string, header?: string }> = [
  { name: 'top-level __proto__, constructor and isAdmin', extra: `${PROTO},"isAdmin":true,"roles":["admin"]` },
  { name: 'the same inside customer', customerExtra: `${PROTO},"isAdmin":true,"toString":"x"` },
  {
    name: 'a header with extra members',
    extra: ',"kid":"../../etc/passwd"',
    header: '{"typ":"JWT","alg":"HS512","__proto__":{"alg":"none"},"isAdmin":true}'
  },
  {
    name: 'the extras in the HS256 form',
    extra: `,"__proto__":${POISON},"isAdmin":true`,
    customerExtra: ',"isAdmin":true',
    header: HS256_HEADER
  }
]

t.test('extra claims are never copied into the session', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  for (const [i, c] of cases.entries()) {
    const jwt = signRaw(c.header ?? HS512_HEADER,
      claimsJson({ customerId: 100 + i, extra: c.extra, customerExtra: c.customerExtra }))
    const res = await postSession(app, { payload: JSON.stringify({ token: jwt }) })
    t.equal(res.statusCode, 201, `${c.name}: a validly signed token is accepted`)
    const expected =
      { customer: { id: 100 + i, email: `c${100 + i}@example.com`, group_id: '6' }, store_hash: 'abc123' }
    t.same(Object.keys(res.json()).sort(), ['customer', 'expires_at', 'store_hash'])
    t.match(res.json(), expected)
    const read = await getSession(app, sessionCookieOf(res))
    t.same(Object.keys(read.json().customer).sort(), ['email', 'group_id', 'id'],
      `${c.name}: only the three customer fields`)
    t.match(read.json(), expected)
  }
  const dump = JSON.stringify(await dumpRedis(redis.client))
  t.notMatch(dump, /isAdmin|polluted|root@example|roles|passwd/, 'nothing of the extras in Redis')
  t.equal(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype untouched')
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})

t.test('a customer whose fields hide behind __proto__ has no fields', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const now = Math.floor(Date.now() / 1000)
  const payload =
    '{"customer":{"__proto__":{"id":4927,"email":"x@example.com","group_id":"6"}},"iss":"bc/apps","sub":"abc123",' +
    `"iat":${now},"exp":${now + 900},"aud":"test-client-id","store_hash":"abc123","operation":"current_customer"}`
  const res = await postSession(app, { payload: JSON.stringify({ token: signRaw(HS512_HEADER, payload) }) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'BCX_TOKEN_CLAIMS')
  t.equal((await redis.client.keys('bcx:*:s:*')).length, 0)

  const inherited = '{"__proto__":{"operation":"current_customer","iss":"bc/apps"},' +
    '"customer":{"id":1,"email":"a@b.c"},"sub":"abc123",' +
    `"iat":${now},"exp":${now + 900},"aud":"test-client-id","store_hash":"abc123"}`
  const claims = await postSession(app, { payload: JSON.stringify({ token: signRaw(HS512_HEADER, inherited) }) })
  t.equal(claims.statusCode, 401, 'required claims cannot be inherited either')
  t.equal(claims.json().code, 'BCX_TOKEN_CLAIMS')
  t.equal((await redis.client.keys('bcx:*:s:*')).length, 0)
})

t.test('a request body with __proto__ or constructor is a 400, not a merge', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  for (const payload of ['{"token":"a.b.c","__proto__":{"isAdmin":true}}',
    '{"token":"a.b.c","constructor":{"prototype":{"isAdmin":true}}}']) {
    const res = await postSession(app, { payload })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'BCX_BAD_REQUEST')
  }
  t.equal(({} as Record<string, unknown>).isAdmin, undefined)
})
