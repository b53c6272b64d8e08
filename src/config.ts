// One schema for the environment, validated once at start-up into a typed Config.
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { parseOriginPattern, type OriginPattern } from './lib/origin.js'
import { parseHostPorts, type HostPort } from './lib/host-port.js'
import { ConfigError } from './lib/config-error.js'
import { isIP } from 'node:net'

const secret = (description: string) => Type.Optional(Type.String({ minLength: 1, description }))
const list = (description: string) => Type.Optional(Type.String({ description }))
const bool = (def: string, description: string) => Type.String({ enum: ['true', 'false'], default: def, description })
const seconds = (def: number, description: string) => Type.Integer({ minimum: 1, default: def, description })

export const envSchemaDefinition = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  BC_CLIENT_ID: Type.String({ minLength: 1, description: "app API account client id; the token's aud" }),
  BC_CLIENT_SECRET: Type.String({ minLength: 1, description: 'client secret; comma-separated during rotation, the first is current' }),
  BC_STORE_HASHES: list('comma-separated store allow-list'),
  ALLOWED_ORIGINS: list('comma-separated storefront origins, wildcard label allowed'),
  SESSION_SECRET: Type.String({ minLength: 1, description: 'cookie signing secret(s), at least 32 characters each' }),
  SESSION_IDLE_TIMEOUT: seconds(1800, 'seconds without a request before a session ends'),
  SESSION_ABSOLUTE_TIMEOUT: seconds(28800, 'seconds after the exchange when a session ends regardless'),
  SESSION_MAX_PER_CUSTOMER: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  JWT_CLOCK_TOLERANCE: Type.Integer({ minimum: 0, maximum: 300, default: 60 }),
  COOKIE_NAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$|^__(Host|Secure)-[A-Za-z0-9_-]+$' })),
  COOKIE_SAMESITE: Type.String({ enum: ['none', 'lax', 'strict'], default: 'none' }),
  COOKIE_PARTITIONED: bool('true', 'send the cookie with the Partitioned attribute'),
  COOKIE_DOMAIN: Type.Optional(Type.String({ pattern: '^\\.?[A-Za-z0-9.-]+$' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_SENTINELS: list('host:port,... of the Sentinels'),
  REDIS_SENTINEL_MASTER: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_CLUSTER_NODES: list('host:port,... of Cluster seed nodes'),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60000, default: 1000 }),
  RATE_LIMIT_EXCHANGE: Type.Integer({ minimum: 0, default: 60 }),
  ADMIN_TOKEN: secret('bearer token for /admin'),
  BC_WEBHOOK_SECRET: secret('value of the X-Webhook-Secret custom header'),
  METRICS_TOKEN: secret('bearer token for /metrics'),
  BC_STORE_HASH: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]+$' })),
  BC_ACCESS_TOKEN: secret('store API access token'),
  BC_API_URL: Type.String({ pattern: '^https?://', default: 'https://api.bigcommerce.com' }),
  UPSTREAM_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  UPSTREAM_SIGNING_SECRET: secret('HMAC key for the identity headers sent upstream'),
  TRUST_PROXY: list('comma-separated proxy addresses or CIDRs'),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600000, default: 30000, description: 'longest time a whole request (headers and body) may take before 408' }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600000, default: 10000, description: 'longest wait for the upstream before 504' }),
  DOCS: Type.Optional(Type.String({ enum: ['true', 'false'], description: 'serve /docs and /docs/json (default: on in development, off in production)' })),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  LOG_LEVEL: Type.String({ enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' })
})

export type Env = Static<typeof envSchemaDefinition>

/** Every variable the service knows, for checks of compose files and .env.example. */
export const KNOWN_VARIABLES = Object.keys(envSchemaDefinition.properties)

export type RedisSettings =
  | { kind: 'memory' }
  | { kind: 'single', url: string }
  | { kind: 'sentinel', sentinels: HostPort[], name: string, url?: string }
  | { kind: 'cluster', nodes: HostPort[], url?: string }

export interface Config {
  production: boolean
  clientId: string
  /** The first signs nothing (BigCommerce signs); all are accepted during rotation. */
  clientSecrets: string[]
  /** null: any store (development only). */
  storeHashes: ReadonlySet<string> | null
  allowedOrigins: OriginPattern[]
  /** The first signs cookies; all verify. */
  sessionSecrets: string[]
  idleTimeout: number
  absoluteTimeout: number
  maxSessionsPerCustomer: number
  clockTolerance: number
  cookie: { name: string, sameSite: 'none' | 'lax' | 'strict', partitioned: boolean, domain?: string }
  redis: RedisSettings
  redisCommandTimeoutMs: number
  rateLimitExchange: number
  adminToken?: string
  webhookSecret?: string
  metricsToken?: string
  bigcommerce?: { storeHash: string, accessToken: string, apiUrl: string }
  upstream?: { url: string, signingSecret: string }
  trustProxy: string[]
  /** A whole request, headers and body, must arrive within this bound (ms), else 408. */
  requestTimeoutMs: number
  /** Longest wait for the upstream behind /api before 504 (ms). */
  upstreamTimeoutMs: number
  /** Serve /docs and /docs/json. */
  docs: boolean
  port: number
  host: string
  logLevel: string
  /** Start-up warnings the server logs once (the logger does not exist yet here). */
  warnings: string[]
}

export { ConfigError } from './lib/config-error.js'

/** Values of .env.example that must never reach a running service. */
const PLACEHOLDER = /change-?me|replace-?me/i

const splitList = (value: string | undefined): string[] =>
  (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)

function validate (env: Record<string, string | undefined>, dotenv: boolean): Env {
  try {
    return envSchema<Env>({ schema: envSchemaDefinition as object, data: env, env: false, dotenv })
  } catch (err) {
    const errors = (err as { errors?: Array<{ instancePath: string, params: { missingProperty?: string }, message?: string }> }).errors
    const first = errors?.[0]
    if (first === undefined) throw new ConfigError(`Invalid configuration: ${(err as Error).message}`)
    const name = first.params.missingProperty ?? first.instancePath.replace(/^\//, '')
    throw new ConfigError(first.params.missingProperty !== undefined
      ? `${name} is required`
      : `${name} is invalid: it ${first.message ?? 'does not match the schema'}`)
  }
}

/**
 * The shortest prefixes a trusted range may have. A /0 makes Fastify's proxy-addr throw at start-up,
 * and anything much wider than a provider's block (0.0.0.0/1 + 128.0.0.0/1) trusts the internet:
 * every client could then choose the address the rate limits and the upstream see.
 */
export const MIN_TRUSTED_PREFIX = { 4: 8, 6: 7 } as const

/** Exact addresses or CIDRs only: `true` or a hop count would let any client forge its address. */
function trustedProxies (value: string | undefined): string[] {
  return splitList(value).map((entry) => {
    const [address = '', bits, extra] = entry.split('/')
    const family = isIP(address)
    const max = family === 4 ? 32 : 128
    const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max)
    if (family === 0 || !okBits || extra !== undefined) {
      throw new ConfigError(`TRUST_PROXY is invalid: "${entry}" is not an IP address or CIDR`)
    }
    const min = MIN_TRUSTED_PREFIX[family as 4 | 6]
    if (bits !== undefined && Number(bits) < min) {
      throw new ConfigError(`TRUST_PROXY is invalid: "${entry}" is too wide; a trusted range must be /${min} or narrower for IPv${family}`)
    }
    return entry
  })
}

function redisSettings (env: Env): RedisSettings {
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    return { kind: 'cluster', nodes: parseHostPorts('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES), url: env.REDIS_URL }
  }
  if (env.REDIS_SENTINELS !== undefined) {
    if (env.REDIS_SENTINEL_MASTER === undefined) throw new ConfigError('REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS')
    return { kind: 'sentinel', sentinels: parseHostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS), name: env.REDIS_SENTINEL_MASTER, url: env.REDIS_URL }
  }
  if (env.REDIS_URL !== undefined) return { kind: 'single', url: env.REDIS_URL }
  return { kind: 'memory' }
}

function pairOrNothing<T> (names: [string, string], a: string | undefined, b: string | undefined, make: () => T): T | undefined {
  if (a === undefined && b === undefined) return undefined
  if (a === undefined || b === undefined) throw new ConfigError(`${a === undefined ? names[0] : names[1]} is required with ${a === undefined ? names[1] : names[0]}`)
  return make()
}

/**
 * Validates the environment once; throws a ConfigError whose message names the variable.
 * `dotenv` reads `.env` from the working directory (the server entry only).
 */
export function loadConfig (source: Record<string, string | undefined>, { dotenv = false } = {}): Config {
  // Empty variables (FOO= in a compose file) mean unset, not the empty string.
  const raw = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''))
  const env = validate(raw, dotenv)
  for (const name of KNOWN_VARIABLES) {
    const value = env[name as keyof Env]
    if (typeof value === 'string' && PLACEHOLDER.test(value)) {
      throw new ConfigError(`${name} still holds the placeholder from .env.example: set a real value`)
    }
  }
  const production = env.NODE_ENV === 'production'
  const warnings: string[] = []

  const sessionSecrets = splitList(env.SESSION_SECRET)
  if (sessionSecrets.length === 0 || sessionSecrets.some((s) => s.length < 32)) {
    throw new ConfigError('SESSION_SECRET is invalid: each secret must have at least 32 characters')
  }
  const clientSecrets = splitList(env.BC_CLIENT_SECRET)
  if (clientSecrets.length === 0) throw new ConfigError('BC_CLIENT_SECRET is required')

  const stores = splitList(env.BC_STORE_HASHES)
  const badStore = stores.find((s) => !/^[A-Za-z0-9]{1,64}$/.test(s))
  if (badStore !== undefined) throw new ConfigError(`BC_STORE_HASHES is invalid: "${badStore}" is not a store hash`)
  if (stores.length === 0) {
    if (production) throw new ConfigError('BC_STORE_HASHES is required in production')
    warnings.push('BC_STORE_HASHES is unset: tokens of ANY store are accepted (development only)')
  }

  const allowedOrigins = splitList(env.ALLOWED_ORIGINS).map((entry) => {
    const pattern = parseOriginPattern(entry)
    if (pattern === null) throw new ConfigError(`ALLOWED_ORIGINS is invalid: "${entry}" is not an origin (scheme://host[:port], one leading *. label allowed)`)
    return pattern
  })
  if (allowedOrigins.length === 0) {
    if (production) throw new ConfigError('ALLOWED_ORIGINS is required in production')
    warnings.push('ALLOWED_ORIGINS is unset: no storefront origin can exchange a token or change a session')
  }

  const redis = redisSettings(env)
  if (redis.kind === 'memory') {
    if (production) throw new ConfigError('REDIS_URL (or REDIS_SENTINELS or REDIS_CLUSTER_NODES) is required in production')
    warnings.push('No Redis configured: sessions live in this process only; they are neither shared between instances nor kept across restarts')
  }

  if (env.SESSION_ABSOLUTE_TIMEOUT < env.SESSION_IDLE_TIMEOUT) {
    throw new ConfigError('SESSION_ABSOLUTE_TIMEOUT is invalid: it must not be shorter than SESSION_IDLE_TIMEOUT')
  }

  const cookieName = env.COOKIE_NAME ?? (env.COOKIE_DOMAIN !== undefined ? '__Secure-bc_session' : '__Host-bc_session')
  if (cookieName.startsWith('__Host-') && env.COOKIE_DOMAIN !== undefined) {
    throw new ConfigError('COOKIE_NAME is invalid: a __Host- cookie cannot have COOKIE_DOMAIN; use a __Secure- name')
  }
  if (env.BC_WEBHOOK_SECRET !== undefined) {
    warnings.push('BC_WEBHOOK_SECRET is set: webhooks carrying it in X-Webhook-Secret are accepted with no timestamp and nothing over the body; prefer the signed deliveries (see SECURITY.md)')
  }
  if (env.COOKIE_SAMESITE === 'none' && env.COOKIE_PARTITIONED === 'false') {
    warnings.push('COOKIE_SAMESITE=none without COOKIE_PARTITIONED: browsers that block third-party cookies will drop the session cookie')
  }

  return {
    production,
    clientId: env.BC_CLIENT_ID,
    clientSecrets,
    storeHashes: stores.length > 0 ? new Set(stores) : null,
    allowedOrigins,
    sessionSecrets,
    idleTimeout: env.SESSION_IDLE_TIMEOUT,
    absoluteTimeout: env.SESSION_ABSOLUTE_TIMEOUT,
    maxSessionsPerCustomer: env.SESSION_MAX_PER_CUSTOMER,
    clockTolerance: env.JWT_CLOCK_TOLERANCE,
    cookie: {
      name: cookieName,
      sameSite: env.COOKIE_SAMESITE as Config['cookie']['sameSite'],
      partitioned: env.COOKIE_PARTITIONED === 'true',
      ...(env.COOKIE_DOMAIN !== undefined && { domain: env.COOKIE_DOMAIN })
    },
    redis,
    redisCommandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    rateLimitExchange: env.RATE_LIMIT_EXCHANGE,
    adminToken: env.ADMIN_TOKEN,
    webhookSecret: env.BC_WEBHOOK_SECRET,
    metricsToken: env.METRICS_TOKEN,
    bigcommerce: pairOrNothing(['BC_STORE_HASH', 'BC_ACCESS_TOKEN'], env.BC_STORE_HASH, env.BC_ACCESS_TOKEN,
      () => ({ storeHash: env.BC_STORE_HASH as string, accessToken: env.BC_ACCESS_TOKEN as string, apiUrl: env.BC_API_URL })),
    upstream: pairOrNothing(['UPSTREAM_URL', 'UPSTREAM_SIGNING_SECRET'], env.UPSTREAM_URL, env.UPSTREAM_SIGNING_SECRET,
      () => ({ url: env.UPSTREAM_URL as string, signingSecret: env.UPSTREAM_SIGNING_SECRET as string })),
    trustProxy: trustedProxies(env.TRUST_PROXY),
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    docs: env.DOCS !== undefined ? env.DOCS === 'true' : !production,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    warnings
  }
}
