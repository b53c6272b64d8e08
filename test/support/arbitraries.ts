// fast-check arbitraries for the exchange and cookie fuzzers: tokens that must never open a session
// (random text, mutations of valid tokens, validly signed tokens with one broken claim, other
// algorithms, other secrets), bodies, headers and cookie values.
import fc from 'fast-check'
import { CLIENT_ID, ORIGIN, OTHER_ORIGIN, STORE } from './app.js'
import { signRaw, spareBitVariants, nowSeconds, validClaims } from './tokens.js'

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const SPECIAL = ['=', '==', ' ', '\n', '\t', '\r\n', '.', '+', '/', '%', '\u0000', '\u00a0', 'é', '"']

/** Printable ASCII: what a header value can hold on the wire. */
export const headerText = (maxLength = 64): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength })

const b64char = fc.constantFrom(...B64URL.split(''))
const anyChar =
  fc.oneof(b64char, fc.constantFrom(...SPECIAL), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))

/** One textual edit of a string: replace, insert or delete a character, or cut it short. */
export function textMutation (text: string): fc.Arbitrary<string> {
  const at = fc.nat({ max: Math.max(0, text.length - 1) })
  return fc.oneof(
    fc.tuple(at, anyChar).map(([i, c]) => text.slice(0, i) + c + text.slice(i + 1)),
    fc.tuple(fc.nat({ max: text.length }), anyChar).map(([i, c]) => text.slice(0, i) + c + text.slice(i)),
    at.map((i) => text.slice(0, i) + text.slice(i + 1)),
    at.map((i) => text.slice(0, i)),
    fc.tuple(at,
      fc.nat({ max: 5 })).map(([i, n]) => text.slice(0, i) + text.slice(i, i + n).toUpperCase() + text.slice(i + n)),
    fc.constantFrom(text + text, ` ${text}`, `${text} `, `${text}\n`,
      text.replaceAll('-', '+').replaceAll('_', '/'), encodeURIComponent(text).replace(/\./g, '%2E'))
  )
}

/** Mutations of a valid token, including the textual variants jose tolerates and the spec refuses. */
export function tokenMutation (tokens: readonly string[]): fc.Arbitrary<string> {
  return fc.constantFrom(...tokens).chain((jwt) => {
    const [h, p, s] = jwt.split('.') as [string, string, string]
    const segment = fc.constantFrom(0, 1, 2)
    const withSegment = (i: number, value: string): string => [h, p, s].map((x, j) => j === i ? value : x).join('.')
    return fc.oneof(
      textMutation(jwt),
      fc.tuple(textMutation(jwt),
        textMutation(jwt)).map(([a, b]) => a.slice(0, a.length >> 1) + b.slice(b.length >> 1)),
      fc.tuple(segment, fc.constantFrom('=', '==', '===')).map(([i, pad]) => withSegment(i, [h, p, s][i] + pad)),
      fc.tuple(segment,
        fc.constantFrom(' ', '\n', '\t', '\r\n')).map(([i, ws]) => withSegment(i, ws + ([h, p, s][i] as string) + ws)),
      fc.constantFrom(...spareBitVariants(jwt)),
      fc.constantFrom(...tokens).map((other) => `${h}.${other.split('.')[1] as string}.${s}`),
      fc.constantFrom(`${h}.${p}`, `${h}.${p}.`, `${h}..${s}`, `.${p}.${s}`, `${h}.${p}.${s}.${s}`, `${p}.${h}.${s}`)
    )
  })
}

const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }))
const otherString =
  (...not: string[]): fc.Arbitrary<string> => fc.string({ maxLength: 20 }).filter((s) => !not.includes(s))
const notPositiveInt =
  fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true, noNaN: true }), fc.constant(2 ** 53 + 2),
    fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null), fc.constant([4927]))

type Claims = Record<string, unknown>

/** Valid claims for customer `id`, fresh at the moment the arbitrary generates them. */
const claimsOf = (id: number): Claims => validClaims({ customer: { id, email: `c${id}@example.com`, group_id: '6' } })

/** Exactly one claim made wrong; every one of these must fail verification. */
const brokenClaim: fc.Arbitrary<(c: Claims) => void> = fc.oneof(
  fc.constantFrom('customer', 'iss', 'sub', 'iat', 'exp', 'aud', 'store_hash',
    'operation').map((k) => (c: Claims) => { delete c[k] }),
  fc.oneof(otherString('bc/apps'), notString).map((v) => (c: Claims) => { c.iss = v }),
  fc.oneof(otherString(CLIENT_ID), fc.integer(), fc.constant(null),
    fc.array(otherString(CLIENT_ID), { maxLength: 2 })).map((v) => (c: Claims) => { c.aud = v }),
  fc.oneof(otherString('current_customer'), notString).map((v) => (c: Claims) => { c.operation = v }),
  fc.oneof(otherString(STORE), notString).map((v) => (c: Claims) => { c.sub = v }),
  fc.oneof(otherString(STORE, 'xyz789'),
    fc.stringMatching(/^[A-Za-z0-9]{1,64}$/).filter((v) => v !== STORE && v !== 'xyz789'), notString).map((v) =>
    (c: Claims) => { c.store_hash = v; c.sub = v }),
  fc.integer({ min: 61, max: 10 ** 9 }).map((ago) => (c: Claims) => { c.exp = nowSeconds() - ago }),
  // Margins well past the 60 s clock tolerance: the server checks a moment after generation.
  fc.integer({ min: 120, max: 10 ** 6 }).map((ahead) => (c: Claims) => {
    c.iat = nowSeconds() + ahead
    c.exp = nowSeconds() + ahead + 900
  }),
  fc.integer({ min: 1000, max: 10 ** 8 }).map((ago) => (c: Claims) => { c.iat = nowSeconds() - ago }),
  fc.tuple(fc.constantFrom('iat', 'exp'),
    fc.oneof(fc.string({ maxLength: 12 }), fc.constant(null),
      fc.boolean())).map(([k, v]) => (c: Claims) => { c[k] = v }),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 8 }),
    fc.array(fc.integer(), { maxLength: 2 })).map((v) => (c: Claims) => { c.customer = v }),
  notPositiveInt.map((v) => (c: Claims) => { (c.customer as Record<string, unknown>).id = v }),
  notString.map((v) => (c: Claims) => { (c.customer as Record<string, unknown>).email = v }),
  fc.oneof(fc.integer(), fc.boolean(),
    fc.array(fc.string(),
      { maxLength: 2 })).map((v) => (c: Claims) => { (c.customer as Record<string, unknown>).group_id = v }),
  fc.constant((c: Claims) => { delete (c.customer as Record<string, unknown>).email }),
  fc.constant((c: Claims) => { delete (c.customer as Record<string, unknown>).id })
)

/** Any header but a plain HS512 or HS256 one (which, with good claims, would be a valid token). */
const notAccepted = (header: string): boolean => {
  try {
    const v = JSON.parse(header) as { alg?: unknown } | null
    return v === null || typeof v !== 'object' || (v.alg !== 'HS512' && v.alg !== 'HS256')
  } catch {
    return true
  }
}

/** The two headers a real token has: BigCommerce's (HS512) and its documentation's example (HS256). */
const ACCEPTED_HEADER = fc.constantFrom('{"typ":"JWT","alg":"HS512"}', '{"alg":"HS256","typ":"JWT"}')

const HEADERS = fc.oneof(
  fc.constantFrom('none', '', 'HS384', 'RS256', 'RS512', 'ES256', 'ES512', 'hs256', 'hs512', 'HS256 ', 'HS512 ',
    'PS256', 'PS512', 'EdDSA').map((alg) => JSON.stringify({ typ: 'JWT', alg })),
  fc.constant('{"alg":"HS512","crit":["b64"],"b64":false}'),
  fc.constant('{"alg":"HS256","crit":["b64"],"b64":false}'),
  fc.constant('{"typ":"JWT"}'),
  fc.json({ maxDepth: 1 }).filter(notAccepted)
)

/** A token signed with the client secret whose claims or header are wrong, or signed with another secret. */
/** A customer id for a generated token. */
const anyId = fc.integer({ min: 1, max: 10 ** 6 })
/** Valid claims of customer `id`, signed as given. */
const signedClaims = (header: string, id: number, secret?: string, hash?: string): string =>
  signRaw(header, JSON.stringify(claimsOf(id)), secret, hash)

/** A MAC of the right secret under the other algorithm's header: the header names the hash, not the MAC's length. */
const CROSSED = fc.constantFrom<[string, string]>(['{"typ":"JWT","alg":"HS512"}', 'sha256'],
  ['{"typ":"JWT","alg":"HS256"}', 'sha512'], ['{"typ":"JWT","alg":"HS256"}', 'sha384'])

/** A token signed with the client secret whose claims or header are wrong, or signed with another secret. */
export const signedButWrong: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.tuple(anyId, brokenClaim, ACCEPTED_HEADER).map(([id, breakIt, header]) => {
      const claims = claimsOf(id)
      breakIt(claims)
      return signRaw(header, JSON.stringify(claims))
    }),
    weight: 5
  },
  { arbitrary: fc.tuple(HEADERS, anyId).map(([header, id]) => signedClaims(header, id)), weight: 1 },
  {
    arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 40 }), anyId, ACCEPTED_HEADER)
      .map(([secret, id, header]) => signedClaims(header, id, secret)),
    weight: 1
  },
  {
    arbitrary: fc.tuple(anyId, CROSSED).map(([id, [header, hash]]) => signedClaims(header, id, undefined, hash)),
    weight: 1
  },
  {
    arbitrary: fc.tuple(fc.json({ maxDepth: 2 }).filter(notAccepted), fc.json({ maxDepth: 3 }))
      .map(([header, payload]) => signRaw(header, payload)),
    weight: 1
  }
)

const randomToken = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{2,60}\.[A-Za-z0-9_-]{2,200}\.[A-Za-z0-9_-]{2,60}$/),
  fc.string({ minLength: 4097, maxLength: 6000, unit: b64char })
)

/** Any token that must not open a session, given tokens that were already exchanged. */
export function badToken (exchanged: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: randomToken, weight: 2 }, { arbitrary: tokenMutation(exchanged), weight: 4 },
    { arbitrary: signedButWrong, weight: 4 })
}

export interface ExchangeRequest { contentType: string | undefined, payload: string, headers: Record<string, string> }

/** A POST /session request: mostly well-formed around the token, so the token checks are reached. */
export function exchangeRequest (exchanged: readonly string[],
  cookies: readonly string[]): fc.Arbitrary<ExchangeRequest> {
  const tok = badToken(exchanged)
  const json = (payload: string): { contentType: string, payload: string } =>
    ({ contentType: 'application/json', payload })
  const odderTypes = fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
    'application/jwt', 'text/html', 'application/octet-stream', 'application/json-patch+json',
    'text/plain;charset=utf-16')
  const body = fc.oneof(
    { arbitrary: tok.map((t) => json(JSON.stringify({ token: t }))), weight: 8 },
    { arbitrary: tok.map((t) => ({ contentType: 'text/plain', payload: t })), weight: 3 },
    {
      arbitrary: fc.tuple(fc.constantFrom('application/json; charset=utf-8', 'text/plain; charset=utf-8',
        'APPLICATION/JSON', 'Text/Plain'), tok).map(([contentType, t]) =>
        ({ contentType, payload: contentType.toLowerCase().startsWith('text') ? t : JSON.stringify({ token: t }) })),
      weight: 1
    },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => json(JSON.stringify(v))), weight: 1 },
    {
      arbitrary: fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string')
        .map((v) => json(JSON.stringify({ token: v }))),
      weight: 1
    },
    { arbitrary: tok.map((t) => json(`{"token":${JSON.stringify(t)},"__proto__":{"token":"x"}}`)), weight: 1 },
    { arbitrary: fc.string({ maxLength: 300 }).map((s) => json(s)), weight: 1 },
    {
      arbitrary: fc.tuple(odderTypes, tok).map(([contentType, t]) => ({ contentType, payload: `token=${t}` })),
      weight: 1
    },
    { arbitrary: fc.constant(json(JSON.stringify({ token: 'x'.repeat(9000) }))), weight: 1 },
    { arbitrary: fc.constant({ contentType: undefined as unknown as string, payload: '' }), weight: 1 }
  )
  const otherOrigins = fc.constantFrom(OTHER_ORIGIN, 'https://evil.example', 'null', `${ORIGIN}.evil.example`,
    'http://store-abc123.mybigcommerce.com')
  const origin = fc.oneof({ arbitrary: fc.constant(ORIGIN), weight: 30 }, { arbitrary: otherOrigins, weight: 1 },
    { arbitrary: headerText(), weight: 1 })
  const csrf = fc.oneof({ arbitrary: fc.constant('1'), weight: 30 }, { arbitrary: headerText(8), weight: 1 })
  const extra =
    fc.dictionary(fc.constantFrom('x-forwarded-for', 'x-forwarded-proto', 'authorization', 'x-requested-with',
      'accept', 'content-encoding', 'expect'), headerText(40), { maxKeys: 3 })
  const cookie = fc.option(fc.oneof(fc.constantFrom(...cookies), headerText(200),
    fc.constantFrom(...cookies).map((c) => `${c}; ${c}`)), { nil: undefined })
  return fc.record({
    body,
    origin: fc.option(origin, { nil: undefined, freq: 30 }),
    csrf: fc.option(csrf, { nil: undefined, freq: 30 }),
    extra,
    cookie
  })
    .map(({ body, origin, csrf, extra, cookie }) => ({
      contentType: body.contentType,
      payload: body.payload,
      headers: {
        ...extra,
        ...(origin !== undefined && { origin }),
        ...(csrf !== undefined && { 'x-csrf': csrf }),
        ...(cookie !== undefined && { cookie }),
        ...(body.contentType !== undefined && { 'content-type': body.contentType })
      }
    }))
}

/** Cookie headers for GET /session: random, and mutations of a valid signed value under our name. */
export function cookieHeader (name: string, validValue: string, signedWrong: readonly string[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    { arbitrary: textMutation(validValue), weight: 6 },
    {
      arbitrary: fc.tuple(textMutation(validValue), textMutation(validValue))
        .map(([a, b]) => a.slice(0, a.length >> 1) + b.slice(b.length >> 1)),
      weight: 1
    },
    { arbitrary: fc.constantFrom(...signedWrong), weight: 2 },
    { arbitrary: headerText(100), weight: 2 },
    { arbitrary: fc.string({ minLength: 500, maxLength: 2000, unit: b64char }), weight: 1 }
  )
  return fc.oneof(
    { arbitrary: value.map((v) => `${name}=${v}`), weight: 8 },
    { arbitrary: fc.tuple(value, headerText(40)).map(([v, other]) => `${other}; ${name}=${v}`), weight: 2 },
    { arbitrary: value.map((v) => `${name}=${v}; ${name}=${validValue}`), weight: 1 },
    { arbitrary: headerText(300), weight: 1 }
  )
}
