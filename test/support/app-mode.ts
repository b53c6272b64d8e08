// App mode for tests: install records, app mode's environment, the stand-in BigCommerce it installs
// from, and readers of what the callbacks' pages carry.
import type { StoreInstall } from '../../src/app-mode/types.js'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { startStandInBigCommerce, type StandInBigCommerce } from '../../src/dev/stand-in-bigcommerce.js'
import { build, CLIENT_ID, CLIENT_SECRET, startRedis, type Built, type Teardown } from './app.js'
import type { RedisServer } from './redis-server.js'

export const TOKEN_KEY = 'store-token-key-one-0123456789abcdef'
export const NEXT_TOKEN_KEY = 'store-token-key-two-0123456789abcdef'

/** PUBLIC_URL and a key: app mode, with the static lists the test chooses. */
export const APP_ENV: Record<string, string | undefined> = {
  PUBLIC_URL: 'https://sessions.example.com',
  STORE_TOKEN_KEY: TOKEN_KEY
}

/** An access token that is easy to find in a dump: no encoding would keep it intact but plaintext. */
export const accessTokenOf = (storeHash: string): string => `bcaccess${storeHash}plaintextZQX7`

export function installOf (storeHash: string, origins: string[], over: Partial<StoreInstall> = {}): StoreInstall {
  return {
    storeHash,
    accessToken: accessTokenOf(storeHash),
    scope: 'store_v2_content store_v2_customers_login',
    origins,
    scriptUuid: null,
    hookIds: [],
    installedAt: 1_700_000_000_000,
    user: { id: 42, email: 'owner@example.com' },
    problems: [],
    ...over
  }
}

/** Polls until `check` holds; the elapsed ms, or a rejection after `limitMs`. */
export async function within (limitMs: number, check: () => boolean, what: string): Promise<number> {
  const began = performance.now()
  while (!check()) {
    if (performance.now() - began > limitMs) throw new Error(`${what}: not within ${limitMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return performance.now() - began
}

/** PUBLIC_URL for tests that call the callbacks by path: loopback, the one place http is allowed. */
export const LOOPBACK_PUBLIC_URL = 'http://127.0.0.1:3999'

/** App mode against the stand-in BigCommerce: its address is both the login and the API host. */
export const standInAppEnv = (bcUrl: string): Record<string, string> =>
  ({ PUBLIC_URL: LOOPBACK_PUBLIC_URL, STORE_TOKEN_KEY: TOKEN_KEY, BC_LOGIN_URL: bcUrl, BC_API_URL: bcUrl })

/** What the callbacks' pages carry for tests to read back: the error code, the form token, the live-session count. */
export const codeOf = (body: string): string | undefined => /data-code="([A-Z_]+)"/.exec(body)?.[1]
export const formTokenOf = (body: string): string | undefined => /name="form_token" value="([^"]+)"/.exec(body)?.[1]
export const liveSessionsOf = (body: string): string | undefined => /data-live-sessions="(\d*)"/.exec(body)?.[1]

/**
 * The stand-in BigCommerce for this app's credentials (closed at teardown), each store in `sites`
 * serving a storefront at the origin given.
 */
export async function standInBigCommerce (t: Teardown, sites: Record<string,
  string> = {}): Promise<StandInBigCommerce> {
  const bc = await startStandInBigCommerce({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
  t.teardown(() => bc.close())
  for (const [storeHash, origin] of Object.entries(sites)) {
    bc.store(storeHash).sites = [{ id: 1, channel_id: 1, url: origin, urls: [{ type: 'primary', url: `${origin}/` }] }]
  }
  return bc
}

export interface AppModeOptions {
  /** Stores the stand-in serves, with their storefront origin. */
  sites?: Record<string, string>
  /** ALLOWED_ORIGINS beside the installs (none by default); no static store list. */
  allowedOrigins?: string
  env?: Record<string, string | undefined>
}

/** App mode against the stand-in BigCommerce on a redis-server of its own; everything closed at teardown. */
export async function appModeWithStandIn (t: Teardown, { sites = {}, allowedOrigins, env = {} }: AppModeOptions = {}):
Promise<Built & { redis: RedisServer, bc: StandInBigCommerce }> {
  const redis = await startRedis(t)
  const bc = await standInBigCommerce(t, sites)
  const built = await build(t, {
    redis,
    env: { ...standInAppEnv(bc.url), BC_STORE_HASHES: undefined, ALLOWED_ORIGINS: allowedOrigins, ...env }
  })
  return { ...built, redis, bc }
}

/** The merchant installing `storeHash`: the stand-in's install URL, called on the app's auth callback. */
export async function installThroughCallback (app: FastifyInstance, bc: StandInBigCommerce, storeHash: string):
Promise<LightMyRequestResponse> {
  const url = bc.installUrl(LOOPBACK_PUBLIC_URL, storeHash).slice(LOOPBACK_PUBLIC_URL.length)
  return await app.inject({ method: 'GET', url })
}
