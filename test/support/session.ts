// Requests as the storefront script sends them (exchange, read, end, /api), one sign-in for tests that
// need a session rather than test the exchange, and readers of the cookie an answer sets.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { MintOptions } from '../../src/dev/mint-token.js'
import { sessionHandle } from '../../src/store/session-id.js'
import { COOKIE_NAME, ORIGIN } from './app.js'
import { token } from './tokens.js'

/** The header every request to /session and /api carries, reads included, as the storefront script sends it. */
export const CSRF = { 'x-csrf': '1' } as const

/** POST /session as the storefront script does; `cookie`: the browser's current session. */
export async function exchange (app: FastifyInstance, jwt: string,
  { origin = ORIGIN, cookie }: { origin?: string, cookie?: string } = {}): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: '/session',
    headers: { origin, ...CSRF, 'content-type': 'application/json', ...(cookie !== undefined && { cookie }) },
    payload: JSON.stringify({ token: jwt })
  })
}

export interface PostSessionOptions { payload?: string, headers?: Record<string, string>, remoteAddress?: string }

/** POST /session with any body (a bad token by default), headers laid over the script's, and remote address. */
export async function postSession (app: FastifyInstance,
  opts: PostSessionOptions = {}): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: '/session',
    headers: { origin: ORIGIN, ...CSRF, 'content-type': 'application/json', ...opts.headers },
    payload: opts.payload ?? JSON.stringify({ token: 'not.a.token' }),
    ...(opts.remoteAddress !== undefined && { remoteAddress: opts.remoteAddress })
  })
}

/** GET /session as the storefront script does (X-CSRF: 1 on reads too); `origin` undefined: as curl does. */
export async function getSession (app: FastifyInstance, cookie: string | undefined,
  origin: string | undefined = ORIGIN): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'GET',
    url: '/session',
    headers: { ...CSRF, ...(origin !== undefined && { origin }), ...(cookie !== undefined && { cookie }) }
  })
}

/** DELETE /session (sign out) as the storefront script does. */
export async function endSession (app: FastifyInstance, cookie: string | undefined,
  origin: string = ORIGIN): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'DELETE',
    url: '/session',
    headers: { origin, ...CSRF, ...(cookie !== undefined && { cookie }) }
  })
}

export interface ApiOptions {
  method?: InjectOptions['method']
  /** The page's origin; null sends none. */
  origin?: string | null
  headers?: Record<string, string>
  payload?: string
  remoteAddress?: string
}

/** A request to `/api…` from the storefront page with the session `cookie` (none when undefined). */
export async function api (app: FastifyInstance, cookie: string | undefined, path: string,
  opts: ApiOptions = {}): Promise<LightMyRequestResponse> {
  const { method = 'GET', origin = ORIGIN, headers = {}, payload, remoteAddress } = opts
  return await app.inject({
    method,
    url: path,
    headers: {
      ...(origin !== null && { origin }),
      ...CSRF,
      ...(cookie !== undefined && { cookie }),
      ...(payload !== undefined && { 'content-type': 'application/json' }),
      ...headers
    },
    ...(payload !== undefined && { payload }),
    ...(remoteAddress !== undefined && { remoteAddress })
  })
}

/** Every Set-Cookie header of an answer, in order. */
function setCookies (res: LightMyRequestResponse): string[] {
  const header = res.headers['set-cookie']
  return Array.isArray(header) ? header : header === undefined ? [] : [header]
}

/** The `name=value` pair of our session cookie from a response, or undefined. */
export function sessionCookieOf (res: LightMyRequestResponse): string | undefined {
  const ours = setCookies(res).find((c) => c.startsWith(`${COOKIE_NAME}=`) || c.startsWith('__Secure-bc_session='))
  return ours?.split(';', 1)[0]
}

/** The Set-Cookie headers as one text (one per line), or undefined when there is none. */
export function setCookieHeader (res: LightMyRequestResponse): string | undefined {
  const header = res.headers['set-cookie']
  return Array.isArray(header) ? header.join('\n') : header
}

/** Set-Cookie headers that set a value (clearing a cookie is Max-Age=0 with an empty value). */
export function settingCookies (res: LightMyRequestResponse): string[] {
  return setCookies(res).filter((c) => !/^[^=]*=;/.test(c) || !/Max-Age=0/.test(c))
}

/** The session id inside a cookie pair (`name=value`): the signed value without its signature. */
export const sidOf = (cookie: string): string =>
  decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1)).replace(/^s:/, '').replace(/\.[^.]+$/, '')

/** The listing handle of the session a cookie pair carries. */
export const handleOf = (cookie: string): string => sessionHandle(sidOf(cookie))

/** The session as POST /session and GET /session answer it. */
export interface SessionBody {
  customer: { id: number, email: string, group_id: string | null }
  store_hash: string
  expires_at: string
}

export interface SignedIn {
  /** The `name=value` pair a Cookie header carries. */
  cookie: string
  /** The session the exchange answered with. */
  session: SessionBody
  /** The session id inside the cookie, and its listing handle. */
  sid: string
  handle: string
  /** The token that was exchanged. */
  jwt: string
  /** The whole answer, for its headers. */
  res: LightMyRequestResponse
}

export interface SignInOptions extends Partial<MintOptions> {
  /** The storefront page's origin (ORIGIN by default). */
  origin?: string
  /** A token to exchange instead of a freshly minted one. */
  jwt?: string
  /** The browser's current session cookie. */
  cookie?: string
  userAgent?: string
  remoteAddress?: string
}

/**
 * Signs a shopper in: mints a token (HS512 unless `alg` says otherwise) and exchanges it as the storefront
 * script does. For tests that need a session; tests of the exchange itself send their own requests.
 * Throws with the status and body unless the answer is 201 with our cookie.
 */
export async function signIn (app: FastifyInstance, opts: SignInOptions = {}): Promise<SignedIn> {
  const { origin = ORIGIN, jwt: given, cookie: current, userAgent, remoteAddress, ...mint } = opts
  const jwt = given ?? await token(mint)
  const res = await postSession(app, {
    payload: JSON.stringify({ token: jwt }),
    headers: {
      origin,
      ...(current !== undefined && { cookie: current }),
      ...(userAgent !== undefined && { 'user-agent': userAgent })
    },
    ...(remoteAddress !== undefined && { remoteAddress })
  })
  const cookie = sessionCookieOf(res)
  if (res.statusCode !== 201 || cookie === undefined) {
    const without = cookie === undefined ? ' without our cookie' : ''
    throw new Error(`sign-in answered ${res.statusCode}${without}: ${res.body}`)
  }
  const sid = sidOf(cookie)
  return { cookie, session: res.json(), sid, handle: sessionHandle(sid), jwt, res }
}
