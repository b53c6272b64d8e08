// The verifier alone, with a fixed clock: tolerance edges, rotation, fingerprints, extra claims.
import t from 'tap'
import { createHash } from 'node:crypto'
import { createTokenVerifier } from '../../src/token/verify-token.js'
import { CLIENT_ID, CLIENT_SECRET, STORE } from '../support/app.js'
import { rawJwt, spareBitVariant, validClaims } from '../support/tokens.js'

const NOW = 1_800_000_000
const verifier = (over: Partial<Parameters<typeof createTokenVerifier>[0]> = {}) => createTokenVerifier({
  clientId: CLIENT_ID,
  clientSecrets: [CLIENT_SECRET],
  storeHashes: new Set([STORE]),
  clockTolerance: 60,
  now: () =>
    NOW * 1000,
  ...over
})
const claims = (over: Record<string, unknown>) => validClaims({ iat: NOW - 10, exp: NOW + 890, ...over })
const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(() => 'accepted', (err: { code?: string }) => err.code ?? 'no code')

t.test('clock tolerance edges', async (t) => {
  const verify = verifier()
  t.equal(await codeOf(verify(rawJwt(claims({ exp: NOW - 59 })))), 'accepted', 'exp passed by less than the tolerance')
  t.equal(await codeOf(verify(rawJwt(claims({ exp: NOW - 61 })))), 'BCX_TOKEN_EXPIRED', 'exp passed by more')
  t.equal(await codeOf(verify(rawJwt(claims({ iat: NOW + 59, exp: NOW + 900 })))), 'accepted',
    'iat ahead by less than the tolerance')
  t.equal(await codeOf(verify(rawJwt(claims({ iat: NOW + 61, exp: NOW + 900 })))), 'BCX_TOKEN_CLAIMS',
    'iat ahead by more')
  t.equal(await codeOf(verify(rawJwt(claims({ iat: NOW - 900 - 59, exp: NOW + 100 })))), 'accepted',
    'iat 15 minutes old, within tolerance')
  t.equal(await codeOf(verify(rawJwt(claims({ iat: NOW - 900 - 61, exp: NOW + 100 })))), 'BCX_TOKEN_EXPIRED',
    'iat older than 15 minutes')
  t.equal(await codeOf(verifier({ clockTolerance: 0 })(rawJwt(claims({ exp: NOW - 1 })))), 'BCX_TOKEN_EXPIRED',
    'no tolerance')
})

t.test('what leaves the verifier', async (t) => {
  const verified = await verifier()(rawJwt(claims({
    customer: { id: 4927, email: 'a@b.c', group_id: '6', isAdmin: true },
    isAdmin: true,
    __proto__: { polluted: 1 },
    constructor: 'x'
  })))
  t.same(Object.keys(verified).sort(), ['customer', 'exp', 'fingerprint', 'iat'])
  t.same(verified.customer, { id: 4927, email: 'a@b.c', groupId: '6', storeHash: 'abc123' })
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
})

t.test('rotation: every listed secret verifies; order does not matter for acceptance', async (t) => {
  const verify = verifier({ clientSecrets: ['new-secret-0123456789', CLIENT_SECRET] })
  t.equal(await codeOf(verify(rawJwt(claims({}), { secret: 'new-secret-0123456789' }))), 'accepted')
  t.equal(await codeOf(verify(rawJwt(claims({})))), 'accepted')
  t.equal(await codeOf(verify(rawJwt(claims({}), { secret: 'retired-secret' }))), 'BCX_TOKEN_INVALID')
  t.equal(await codeOf(verify(rawJwt(claims({ aud: 'x' }), { secret: 'retired-secret' }))), 'BCX_TOKEN_INVALID',
    'a bad signature wins over bad claims')
})

t.test('fingerprint: textual variants of one token are one token; different tokens differ', async (t) => {
  const verify = verifier()
  const jwt = rawJwt(claims({}))
  const a = await verify(jwt)
  const b = await verify(spareBitVariant(jwt))
  const c = await verify(rawJwt(claims({ jti: 'other' })))
  t.equal(a.fingerprint, b.fingerprint)
  t.not(a.fingerprint, c.fingerprint)
})

t.test('fingerprint: sha256 of header, payload and the decoded signature, as in every earlier version', async (t) => {
  // Guard keys are named by it: a change would let a token spent on an old instance be spent again on a new one.
  const jwt = rawJwt(claims({}))
  const [h, p, s] = jwt.split('.') as [string, string, string]
  const expected = createHash('sha256').update(h).update('.').update(p).update('.').update(Buffer.from(s,
    'base64url')).digest('base64url')
  t.equal((await verifier()(jwt)).fingerprint, expected)
})

t.test('no allow-list (development): any well-formed store', async (t) => {
  const verify = verifier({ storeHashes: null })
  t.equal(await codeOf(verify(rawJwt(claims({ store_hash: 'other1', sub: 'other1' })))), 'accepted')
  t.equal(await codeOf(verify(rawJwt(claims({ store_hash: 'bad/hash', sub: 'bad/hash' })))), 'BCX_TOKEN_CLAIMS')
})
