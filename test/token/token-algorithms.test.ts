// POST /session with tokens exactly as BigCommerce issues them (HS512) and as its documentation's
// example shows them (HS256); every other algorithm, and a MAC of one under the other's header, refused.
import t from 'tap'
import { build, startRedis, CLIENT_ID, CLIENT_SECRET, STORE } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { exchange, getSession, sessionCookieOf } from '../support/session.js'
import { rawJwt, spareBitVariant, validClaims, HS256_HEADER, HS512_HEADER, signRaw } from '../support/tokens.js'

const b64 = (text: string): string => Buffer.from(text).toString('base64url')

/** The documented example payload, with this test's client id and a fresh iat, in BigCommerce's claim order. */
function examplePayload (iat = Math.floor(Date.now() / 1000)): string {
  return `{"customer":{"id":4927,"email":"john.doe@gmail.com","group_id":"6"},"iss":"bc/apps","sub":"${STORE}",` +
    `"iat":${iat},"exp":${iat + 900},"version":1,"aud":"${CLIENT_ID}","application_id":"${CLIENT_ID}",` +
    `"store_hash":"${STORE}","operation":"current_customer"}`
}

/** A token built byte for byte: header text, payload text, HMAC with the named hash. */
const byHand = (headerJson: string, payloadJson: string, hash: string, secret = CLIENT_SECRET): string =>
  signRaw(headerJson, payloadJson, secret, hash)

t.test('a token exactly as BigCommerce issues it (HS512) is exchanged, and so is the HS256 form', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  for (const [name, header, hash, id] of [['HS512', HS512_HEADER, 'sha512', 4927],
    ['HS256', HS256_HEADER, 'sha256', 4928]] as const) {
    const jwt = byHand(header, examplePayload().replace('"id":4927', `"id":${id}`), hash)
    t.equal(Buffer.from(jwt.split('.')[2] as string, 'base64url').length, hash === 'sha512' ? 64 : 32,
      `${name}: the MAC's length`)
    const res = await exchange(app, jwt)
    t.equal(res.statusCode, 201, `${name}: 201`)
    t.same(res.json().customer, { id, email: 'john.doe@gmail.com', group_id: '6' }, `${name}: the customer`)
    const read = await getSession(app, sessionCookieOf(res))
    t.equal(read.statusCode, 200, `${name}: the session reads back`)
  }
  t.equal(await sessionKeyCount(redis), 2)
})

t.test('HS384, a MAC of one algorithm under the other\'s header, and the rest: 401 BCX_TOKEN_INVALID, nothing written',
  async (t) => {
    const redis = await startRedis(t)
    const { app } = await build(t, { redis })
    const payload = examplePayload()
    const cases = [
      { name: 'HS384', jwt: byHand('{"typ":"JWT","alg":"HS384"}', payload, 'sha384') },
      { name: 'an HS512 MAC under an HS256 header', jwt: byHand(HS256_HEADER, payload, 'sha512') },
      { name: 'an HS256 MAC under an HS512 header', jwt: byHand(HS512_HEADER, payload, 'sha256') },
      { name: 'HS512 with a wrong secret', jwt: byHand(HS512_HEADER, payload, 'sha512', 'another-secret') },
      { name: 'an HS512 MAC cut to 32 bytes', jwt: byHand(HS512_HEADER, payload, 'sha512').slice(0, -43) },
      { name: 'alg none', jwt: `${b64('{"typ":"JWT","alg":"none"}')}.${b64(payload)}.` },
      { name: 'alg ES512 with an HMAC', jwt: byHand('{"typ":"JWT","alg":"ES512"}', payload, 'sha512') },
      { name: 'alg PS512 with an HMAC', jwt: byHand('{"typ":"JWT","alg":"PS512"}', payload, 'sha512') },
      { name: 'alg RS512 with an HMAC', jwt: byHand('{"typ":"JWT","alg":"RS512"}', payload, 'sha512') },
      { name: 'alg as a list', jwt: byHand('{"typ":"JWT","alg":["HS512"]}', payload, 'sha512') }
    ]
    for (const c of cases) {
      const res = await exchange(app, c.jwt)
      t.equal(res.statusCode, 401, `${c.name}: 401`)
      t.equal(res.json().code, 'BCX_TOKEN_INVALID', `${c.name}: code`)
      t.equal(res.headers['set-cookie'], undefined, `${c.name}: no cookie`)
    }
    const alg = await exchange(app, cases[0]?.jwt as string)
    t.match(alg.json().message, /alg must be HS512 or HS256/, 'the refusal says what is accepted')
    t.equal((await redis.client.keys('*')).length, 0, 'nothing was written to Redis')
  })

t.test('rotation: a previous client secret verifies both forms', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { BC_CLIENT_SECRET: `new-secret-0123456789,${CLIENT_SECRET}` } })
  for (const [i,
    [header, alg]] of ([[{ typ: 'JWT', alg: 'HS512' }, 'HS512'],
      [{ typ: 'JWT', alg: 'HS256' }, 'HS256']] as const).entries()) {
    t.equal((await exchange(app,
      rawJwt(validClaims({ customer: { id: 10 + i, email: 'a@b.c', group_id: null } }),
        { header, alg }))).statusCode, 201, `${alg} with the previous secret`)
    t.equal((await exchange(app,
      rawJwt(validClaims({ customer: { id: 20 + i, email: 'a@b.c', group_id: null } }),
        { header, alg, secret: 'new-secret-0123456789' }))).statusCode, 201, `${alg} with the current secret`)
  }
})

t.test('single use holds for HS512: a textual variant is the same token; an HS256 twin is another token', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const payload = examplePayload()
  const hs512 = byHand(HS512_HEADER, payload, 'sha512')
  t.equal((await exchange(app, hs512)).statusCode, 201)
  const variant = spareBitVariant(hs512)
  t.not(variant, hs512, 'the variant differs in text')
  const replay = await exchange(app, variant)
  t.equal(replay.statusCode, 409, 'the variant is a replay')
  t.equal(replay.json().code, 'BCX_TOKEN_REPLAYED')
  const again = await exchange(app, hs512)
  t.equal(again.statusCode, 409, 'the token itself, again')
  t.equal(again.json().code, 'BCX_TOKEN_REPLAYED')
  t.equal(await sessionKeyCount(redis), 1, 'the replays made no session')
  const hs256 = byHand(HS256_HEADER, payload, 'sha256')
  t.equal((await exchange(app, hs256)).statusCode, 201, 'the same claims signed HS256 are another token')
  t.equal(await sessionKeyCount(redis), 2)
})
