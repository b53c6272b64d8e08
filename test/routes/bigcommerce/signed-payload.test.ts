// The signed-payload verifier alone, against a real Redis for the jti guard: every claim, the pinned
// algorithm, rotation, clock tolerance, and each jti accepted once.
import t from 'tap'
import { Redis } from 'ioredis'
import {
  createRedisJtiGuard, createMemoryJtiGuard, createSignedPayloadVerifier, jtiKey
} from '../../../src/app-mode/signed-payload.js'
import { CLIENT_ID, CLIENT_SECRET, startRedis } from '../../support/app.js'
import { freePort } from '../../support/redis-server.js'
import { payloadClaims, signedPayloadJwt } from '../../support/signed-payload.js'

const NOW = 1_800_000_000_000
const S = NOW / 1000
const STORE = 's1abc'
const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(() => 'accepted', (err: { code?: string }) => err.code ?? 'no code')

t.test('signed payloads', async (t) => {
  const redis = await startRedis(t)
  const verify = createSignedPayloadVerifier({
    clientId: CLIENT_ID,
    clientSecrets: [CLIENT_SECRET, 'previous-secret-0123456789'],
    clockTolerance: 60,
    jtiGuard: createRedisJtiGuard(redis.client),
    now: () => NOW
  })
  const claims = (over: Record<string, unknown> = {}) =>
    payloadClaims(STORE, { iat: S - 5, nbf: S - 5, exp: S + 3600, ...over }, NOW)

  t.test('a genuine payload, then its jti again', async (t) => {
    const c = claims()
    const jwt = signedPayloadJwt(c)
    const verified = await verify(jwt)
    t.equal(verified.storeHash, STORE)
    t.same(verified.user, { id: 9128, email: 'owner@example.com' })
    const key = jtiKey(STORE, c.jti as string)
    t.equal(key, `bcx:{app:${STORE}}:jti:${c.jti as string}`)
    t.equal(await redis.client.get(key), '1', 'jti kept')
    const ttl = await redis.client.pttl(key)
    // Until exp + tolerance, as seen from the verifier's clock.
    t.ok(ttl > 3600_000 && ttl <= 3660_000, `ttl ${ttl}`)
    t.equal(await codeOf(verify(jwt)), 'BCX_SIGNED_PAYLOAD_INVALID', 'replayed')
    t.equal(await codeOf(verify(signedPayloadJwt({ ...c, iat: S - 4 }))), 'BCX_SIGNED_PAYLOAD_INVALID',
      'another payload with a used jti')
  })

  t.test('a previous client secret verifies during rotation', async (t) => {
    t.equal(await codeOf(verify(signedPayloadJwt(claims(), { secret: 'previous-secret-0123456789' }))), 'accepted')
  })

  t.test('every refusal is 401 BCX_SIGNED_PAYLOAD_INVALID and keeps no jti', async (t) => {
    const cases: Array<[string, string]> = [
      ['wrong secret', signedPayloadJwt(claims(), { secret: 'not-the-secret-0123456789' })],
      ['HS512', signedPayloadJwt(claims(), { alg: 'HS512' })],
      ['HS384', signedPayloadJwt(claims(), { alg: 'HS384' })],
      ['none', signedPayloadJwt(claims(), { alg: 'none' })],
      ['wrong aud', signedPayloadJwt(claims({ aud: 'another-client' }))],
      ['aud as an array', signedPayloadJwt(claims({ aud: [CLIENT_ID, 'another'] }))],
      ['wrong iss', signedPayloadJwt(claims({ iss: 'bc/apps' }))],
      ['sub without stores/', signedPayloadJwt(claims({ sub: STORE }))],
      ['sub with a foreign prefix', signedPayloadJwt(claims({ sub: `channels/${STORE}` }))],
      ['sub with a bad hash', signedPayloadJwt(claims({ sub: 'stores/a*b' }))],
      ['expired beyond the tolerance', signedPayloadJwt(claims({ exp: S - 61 }))],
      ['nbf ahead beyond the tolerance', signedPayloadJwt(claims({ nbf: S + 61 }))],
      ['iat ahead beyond the tolerance', signedPayloadJwt(claims({ iat: S + 61 }))],
      ['jti not a string', signedPayloadJwt(claims({ jti: 42 }))],
      ['jti with a space', signedPayloadJwt(claims({ jti: 'a b' }))],
      ...(['aud', 'iss', 'sub', 'iat', 'nbf', 'exp', 'jti'].map((claim): [string, string] => {
        const c = claims()
        Reflect.deleteProperty(c, claim)
        return [`no ${claim}`, signedPayloadJwt(c)]
      })),
      ['not a JWS', 'not-a-token'],
      ['empty', '']
    ]
    const before = await redis.client.keys('*')
    for (const [name, jwt] of cases) t.equal(await codeOf(verify(jwt)), 'BCX_SIGNED_PAYLOAD_INVALID', name)
    t.equal(await codeOf(verify(undefined)), 'BCX_SIGNED_PAYLOAD_INVALID', 'no payload at all')
    t.same((await redis.client.keys('*')).sort(), before.sort(), 'no jti kept for a refused payload')
  })

  t.test('within the clock tolerance', async (t) => {
    t.equal(await codeOf(verify(signedPayloadJwt(claims({ exp: S - 59 })))), 'accepted',
      'exp passed by less than the tolerance')
    t.equal(await codeOf(verify(signedPayloadJwt(claims({ nbf: S + 59 })))), 'accepted', 'nbf ahead by less')
    t.equal(await codeOf(verify(signedPayloadJwt(claims({ iat: S + 59 })))), 'accepted', 'iat ahead by less')
  })

  t.test('Redis unreachable: 503 BCX_STORE_UNAVAILABLE, never a pass', async (t) => {
    const offline =
      new Redis({ port: await freePort(), lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null })
    t.teardown(() => offline.disconnect())
    const cut = createSignedPayloadVerifier({
      clientId: CLIENT_ID,
      clientSecrets: [CLIENT_SECRET],
      clockTolerance: 60,
      jtiGuard: createRedisJtiGuard(offline),
      now: () => NOW
    })
    t.equal(await codeOf(cut(signedPayloadJwt(claims()))), 'BCX_STORE_UNAVAILABLE')
  })
})

t.test('the in-process guard: once per jti until its ttl passes', async (t) => {
  let now = NOW
  const guard = createMemoryJtiGuard(() => now)
  t.equal(await guard.claim(STORE, 'j1', 1000), true)
  t.equal(await guard.claim(STORE, 'j1', 1000), false)
  t.equal(await guard.claim('other', 'j1', 1000), true, 'per store')
  now += 1001
  t.equal(await guard.claim(STORE, 'j1', 1000), true, 'forgotten after its ttl')
})
