// The app under test: its configuration and a build of the real app against a real redis-server that
// the test starts on a free port (or the in-process store). Every app test starts here.
import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { buildApp } from '../../src/app.js'
import { ConfigError, loadConfig, type Config } from '../../src/config.js'
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

/** What the helpers need of a test: somewhere to put their clean-up. */
export interface Teardown { teardown: (fn: () => unknown) => void }

export async function startRedis (t: Teardown, args: string[] = []): Promise<RedisServer> {
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

export interface BuildOptions {
  /** A server to use, or 'memory' for the in-process store. */
  redis: RedisServer | 'memory'
  env?: Record<string, string | undefined>
}

/** Builds and readies the app; closed at the test's teardown. */
export async function build (t: Teardown, { redis, env = {} }: BuildOptions): Promise<Built> {
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
  await eventually(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200,
    'the app is ready', timeoutMs, 20)
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

/**
 * Polls `check` until it holds; throws naming `what` after `timeoutMs`. The default is generous: a
 * loaded machine is slow, and a bound that only fails a slow run tests nothing.
 */
export async function eventually (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000,
  stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`)
}
