// Builds the real app against a real redis-server that the test starts on a free port.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { buildApp } from '../../src/app.js'
import { ConfigError, loadConfig, type Config } from '../../src/config.js'
import { mintCustomerToken, type MintOptions } from '../../src/dev/mint-token.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

export const CLIENT_ID = 'test-client-id'
export const CLIENT_SECRET = 'test-client-secret-0123456789'
export const SESSION_SECRET = 'test-session-secret-0123456789abcdef'
export const STORE = 'abc123'
export const ORIGIN = 'https://store-abc123.mybigcommerce.com'
export const OTHER_ORIGIN = 'https://store-xyz789.mybigcommerce.com'
export const COOKIE_NAME = '__Host-bc_session'

export const BASE_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  BC_CLIENT_ID: CLIENT_ID,
  BC_CLIENT_SECRET: CLIENT_SECRET,
  BC_STORE_HASHES: `${STORE},xyz789`,
  ALLOWED_ORIGINS: 'https://*.mybigcommerce.com,https://shop.example.com',
  SESSION_SECRET,
  RATE_LIMIT_EXCHANGE: '0',
  LOG_LEVEL: 'silent'
}

type Tap = { teardown: (fn: () => unknown) => void }

export async function startRedis (t: Tap, args: string[] = []): Promise<RedisServer> {
  const server = await startRedisServer(args)
  t.teardown(() => server.close())
  return server
}

export function testConfig (env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ ...BASE_ENV, ...env })
}

export interface Built {
  app: FastifyInstance
  config: Config
  /** Every log line the app wrote, as text (for "no secret in logs"). */
  logs: string[]
}

/** Builds and readies the app; `redis`: a server to use, or 'memory' for the in-process store. */
export async function build (t: Tap, { redis, env = {} }: { redis: RedisServer | 'memory', env?: Record<string, string | undefined> }): Promise<Built> {
  const config = testConfig({ ...env, ...(redis !== 'memory' && { REDIS_URL: redis.url }) })
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const app = buildApp(config, { logger: { level: env.LOG_LEVEL ?? 'info', stream } })
  t.teardown(() => app.close())
  await app.ready()
  if (redis !== 'memory') await waitReady(app)
  return { app, config, logs }
}

/** Waits until the app's Redis connection answers (ioredis connects in the background). */
export async function waitReady (app: FastifyInstance, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    if (res.statusCode === 200) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('app did not become ready')
}

/** What loadConfig refuses, one problem per line; [] when it starts. */
export function configProblems (env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n')
    throw err
  }
  return []
}

/** Polls `check` until it holds; throws naming `what` after `timeoutMs` (generous: a loaded machine is slow). */
export async function eventually (check: () => Promise<boolean>, what: string, timeoutMs = 5000, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`)
}

/**
 * A token in BigCommerce's real form (HS512 unless `alg` says HS256). Tests mint many tokens for one
 * customer within a second, which BigCommerce would issue as one token; a jti keeps them distinct.
 */
export async function token (o: Partial<MintOptions> = {}): Promise<string> {
  return await mintCustomerToken({ secret: CLIENT_SECRET, clientId: CLIENT_ID, customerId: 4927, storeHash: STORE, jti: randomUUID(), ...o })
}

/** The `name=value` pair of our session cookie from a response, or undefined. */
export function sessionCookieOf (res: LightMyRequestResponse): string | undefined {
  const header = res.headers['set-cookie']
  const all = Array.isArray(header) ? header : header === undefined ? [] : [header]
  const ours = all.find((c) => c.startsWith(`${COOKIE_NAME}=`) || c.startsWith('__Secure-bc_session='))
  return ours?.split(';', 1)[0]
}

export function setCookieHeader (res: LightMyRequestResponse): string | undefined {
  const header = res.headers['set-cookie']
  return Array.isArray(header) ? header.join('\n') : header
}

/** POST /session as the storefront script does. */
export async function exchange (app: FastifyInstance, jwt: string, { origin = ORIGIN, cookie }: { origin?: string, cookie?: string } = {}): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: '/session',
    headers: { origin, 'x-csrf': '1', 'content-type': 'application/json', ...(cookie !== undefined && { cookie }) },
    payload: JSON.stringify({ token: jwt })
  })
}

/** The header every request to /session and /api carries, reads included, as the storefront script sends it. */
export const CSRF = { 'x-csrf': '1' } as const

/** GET /session as the storefront script does (X-CSRF: 1 on reads too); `origin` undefined: as curl does. */
export async function getSession (app: FastifyInstance, cookie: string | undefined, origin: string | undefined = ORIGIN): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'GET',
    url: '/session',
    headers: { ...CSRF, ...(origin !== undefined && { origin }), ...(cookie !== undefined && { cookie }) }
  })
}

/** Counts the session keys in Redis (each exchange that succeeded leaves one). */
export async function sessionKeyCount (redis: RedisServer): Promise<number> {
  return (await redis.client.keys('bcx:*:s:*')).length
}
