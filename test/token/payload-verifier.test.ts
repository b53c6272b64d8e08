// The MAC is checked with node:crypto instead of jose's jwtVerify (WebCrypto): for every token, HS512 or
// HS256, valid, mutated, wrongly signed or random, both must agree on accept or refuse, on the payload, and on the
// kind of refusal. The one difference allowed: a header with crit or b64, which jose may accept and we
// refuse. Replay a run with FUZZ_SEED=<seed> (FUZZ_RUNS to scale).
import t from 'tap'
import fc from 'fast-check'
import { jwtVerify, errors as joseErrors } from 'jose'
import { createPayloadVerifier, isCompactJws, MAX_TOKEN_AGE_SECONDS } from '../../src/token/verify-token.js'
import { badToken } from '../support/arbitraries.js'
import { CLIENT_ID, CLIENT_SECRET, STORE } from '../support/app.js'
import { HS256_HEADER, HS512_HEADER, signRaw, nowSeconds } from '../support/tokens.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000)
const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() ^ (Math.random() * 2 ** 31)))
const ROTATED = 'previous-client-secret-0123456789'

const options =
  { clientId: CLIENT_ID, clientSecrets: [CLIENT_SECRET, ROTATED], clockTolerance: 60, now: () => Date.now() }
const ours = createPayloadVerifier(options)

/** The reference: jose's jwtVerify (WebCrypto) for the same two algorithms, each secret in turn. */
const keys = options.clientSecrets.map((s) => new TextEncoder().encode(s))
async function reference (token: string): Promise<string> {
  let last: unknown
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS512', 'HS256'],
        issuer: 'bc/apps',
        audience: CLIENT_ID,
        clockTolerance: 60,
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub', 'store_hash', 'operation', 'customer']
      })
      return `accepted ${JSON.stringify(payload)}`
    } catch (err) {
      last = err
      if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) break
    }
  }
  if (last instanceof joseErrors.JWTExpired) return 'BCX_TOKEN_EXPIRED'
  if (last instanceof joseErrors.JWTClaimValidationFailed) return 'BCX_TOKEN_CLAIMS'
  return 'BCX_TOKEN_INVALID'
}

function outcome (token: string): string {
  try {
    return `accepted ${JSON.stringify(ours(token).payload)}`
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${(err as Error).message}`
  }
}

const hasExtension = (token: string): boolean => {
  try {
    const header =
      JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as Record<string, unknown>
    return 'crit' in header || 'b64' in header
  } catch {
    return false
  }
}

const claims = (customerId: number, over: Record<string, unknown> = {}): string => {
  const now = Math.floor(Date.now() / 1000)
  return JSON.stringify({
    customer: { id: customerId, email: `c${customerId}@example.com`, group_id: '6' },
    iss: 'bc/apps',
    sub: STORE,
    iat: now,
    exp: now + 900,
    aud: CLIENT_ID,
    store_hash: STORE,
    operation: 'current_customer',
    ...over
  })
}

/** Well-signed tokens, with the header variants and secrets a real one may have. */
const wellSigned = fc.tuple(
  fc.integer({ min: 1, max: 10 ** 6 }),
  fc.constantFrom('{"typ":"JWT","alg":"HS512"}', '{"alg":"HS512"}', '{"alg":"HS512","kid":"k1"}',
    '{"alg":"HS512","b64":true}', '{"alg":"HS512","crit":[]}',
    '{"typ":"JWT","alg":"HS256"}', '{"alg":"HS256"}', '{"alg":"HS256","kid":"k1"}', '{"alg":"HS256","b64":true}',
    '{"alg":"HS256","crit":[]}'),
  fc.constantFrom(CLIENT_SECRET, ROTATED),
  // Good claims, and the claims that only the time makes wrong.
  fc.constantFrom({}, { nbf: Math.floor(Date.now() / 1000) - 5 }, { jti: 'x' }, { aud: [CLIENT_ID] },
    { exp: nowSeconds() - 3600 }, { iat: nowSeconds() - 3600 }, { nbf: nowSeconds() + 3600 })
).map(([id, header, secret, over]) => signRaw(header, claims(id, over), secret))

t.test(`the node:crypto MAC check agrees with jose's jwtVerify on ${RUNS} tokens`, async (t) => {
  t.comment(`fast-check seed ${SEED} (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`)
  const seeds = [1, 2, 3].flatMap((id) => [signRaw(HS512_HEADER, claims(id)), signRaw(HS256_HEADER, claims(id))])
  const tally: Record<string, number> = {}
  const result = await fc.check(fc.asyncProperty(fc.oneof(wellSigned, badToken(seeds)), async (token) => {
    if (!isCompactJws(token)) return
    const [a, b] = [outcome(token), await reference(token)]
    const kind = a.split(' ', 1)[0] as string
    tally[kind] = (tally[kind] ?? 0) + 1
    if (a === b) return
    if (hasExtension(token) && a === 'BCX_TOKEN_INVALID') return
    throw new Error(`ours: ${a}\njose: ${b}`)
  }), { numRuns: RUNS, seed: SEED })
  t.comment(`outcomes: ${JSON.stringify(tally)}`)
  t.equal(result.failed, false,
    result.failed ? `${String(result.counterexample)}: ${String(result.errorInstance)}` : 'agree')
  // The run must have covered every kind of answer, or it proves little.
  for (const kind of ['accepted', 'BCX_TOKEN_INVALID', 'BCX_TOKEN_CLAIMS',
    'BCX_TOKEN_EXPIRED']) t.ok((tally[kind] ?? 0) > 20, `${kind}: ${tally[kind] ?? 0}`)
})

t.test('refused before any claim is read: a bad MAC, another algorithm, an extension', async (t) => {
  const expired = claims(1, { exp: 1, iat: 1 })
  t.equal(outcome(signRaw('{"alg":"HS256"}', expired, 'some-other-secret')), 'BCX_TOKEN_INVALID',
    'bad MAC wins over bad claims')
  t.equal(outcome(signRaw('{"alg":"HS384"}', claims(1))), 'BCX_TOKEN_INVALID', 'HS384')
  t.equal(outcome(signRaw('{"alg":"HS512"}', claims(1), CLIENT_SECRET, 'sha256')), 'BCX_TOKEN_INVALID',
    'an HS256 MAC under an HS512 header')
  t.equal(outcome(signRaw('{"alg":"HS256"}', claims(1), CLIENT_SECRET, 'sha512')), 'BCX_TOKEN_INVALID',
    'an HS512 MAC under an HS256 header')
  t.match(outcome(signRaw(HS512_HEADER, claims(1))), /^accepted /, 'HS512, as BigCommerce signs')
  t.match(outcome(signRaw(HS512_HEADER, claims(1), ROTATED)), /^accepted /, 'HS512 with a previous secret')
  t.equal(outcome(signRaw('{"alg":"HS256","crit":["b64"],"b64":false}', claims(1))), 'BCX_TOKEN_INVALID')
  t.equal(outcome(signRaw('{"alg":"HS256","b64":false}', claims(1))), 'BCX_TOKEN_INVALID')
  t.equal(outcome(signRaw('{"alg":"HS256"}', expired)), 'BCX_TOKEN_EXPIRED', 'the claims are read once the MAC is good')
  t.match(outcome(signRaw('{"alg":"HS256"}', claims(1), ROTATED)), /^accepted /, 'a previous secret still verifies')
})
