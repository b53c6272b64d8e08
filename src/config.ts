// One schema for the environment, validated once at start-up into a typed Config.
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { parseOriginPattern, type OriginPattern } from './lib/origin.js'
import { parseHostPorts, type HostPort } from './lib/host-port.js'
import { ConfigError } from './lib/config-error.js'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { isStoreHash, STORE_HASH_PATTERN } from './lib/store-hash.js'

const secret = (description: string) => Type.Optional(Type.String({ minLength: 1, description }))
const list = (description: string) => Type.Optional(Type.String({ description }))
const bool = (def: string, description: string) => Type.String({ enum: ['true', 'false'], default: def, description })
const seconds = (def: number, description: string) => Type.Integer({ minimum: 1, default: def, description })

export const envSchemaDefinition = Type.Object({
  NODE_ENV: Type.String({
    enum: ['development', 'test', 'production'],
    default: 'development',
    description: 'production turns on the production rules'
  }),
  BC_CLIENT_ID: Type.String({ minLength: 1, description: "app API account client id; the token's aud" }),
  BC_CLIENT_SECRET: Type.String({
    minLength: 1,
    description: 'client secret; comma-separated during rotation, the first is current'
  }),
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
  BC_STORE_HASH: Type.Optional(Type.String({ pattern: `^${STORE_HASH_PATTERN}$` })),
  BC_ACCESS_TOKEN: secret('store API access token'),
  BC_API_URL: Type.String({ pattern: '^https?://', default: 'https://api.bigcommerce.com' }),
  PUBLIC_URL: Type.Optional(Type.String({
    pattern: '^https?://',
    description: "the service's public base URL; turns app mode on"
  })),
  STORE_TOKEN_KEY: secret(
    "key(s) for the stores' access tokens at rest, at least 32 characters each; the first encrypts"
  ),
  BC_LOGIN_URL: Type.String({
    pattern: '^https?://',
    default: 'https://login.bigcommerce.com',
    description: "BigCommerce's OAuth host"
  }),
  UPSTREAM_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  UPSTREAM_SIGNING_SECRET: secret('HMAC key for the identity headers sent upstream'),
  TRUST_PROXY: list('comma-separated proxy addresses or CIDRs'),
  REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 600000,
    default: 30000,
    description: 'longest time a whole request (headers and body) may take before 408'
  }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600000,
    default: 10000,
    description: 'longest wait for the upstream before 504'
  }),
  DOCS: Type.Optional(Type.String({
    enum: ['true', 'false'],
    description: 'serve /docs and /docs/json (default: on in development, off in production)'
  })),
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
  /** The static list. null: any store (development only, never in app mode). */
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
  /** App mode (PUBLIC_URL set): stores come from installs too. */
  app?: AppConfig
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

export interface AppConfig {
  /** No trailing slash: callbacks are `${publicUrl}/bigcommerce/auth` and so on. */
  publicUrl: string
  /** The first encrypts; each decrypts what it encrypted. */
  tokenKeys: string[]
  loginUrl: string
  apiUrl: string
}

export { ConfigError } from './lib/config-error.js'

/** Values of .env.example that must never reach a running service. */
const PLACEHOLDER = /change-?me|replace-?me/i

const splitList = (value: string | undefined): string[] =>
  (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)

interface SchemaError {
  instancePath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}

/** What is wrong with one variable, in words that name it and, where harmless, its value. */
function describe (e: SchemaError, data: Record<string, unknown>): { name: string, problem: string } {
  const missing = e.params.missingProperty
  if (typeof missing === 'string') return { name: missing, problem: `${missing} is required` }
  const name = e.instancePath.replace(/^\//, '')
  const value = data[name]
  const limit = String(e.params.limit)
  switch (e.keyword) {
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).join(', ')
      return { name, problem: `${name} is invalid: "${String(value)}" is not one of ${allowed}` }
    }
    case 'type': return { name, problem: `${name} is invalid: "${String(value)}" is not a whole number` }
    case 'minimum': return { name, problem: `${name} is invalid: ${String(value)} is below the minimum, ${limit}` }
    case 'maximum': return { name, problem: `${name} is invalid: ${String(value)} is above the maximum, ${limit}` }
    // Values of patterns are left out: REDIS_URL and friends may carry a password.
    default: return { name, problem: `${name} is invalid: it ${e.message ?? 'does not match the schema'}` }
  }
}

/** Stand-ins for missing required variables, so that the other variables can still be checked. */
const FILLER = 'x'.repeat(32)

/**
 * Validates against the schema, collecting every problem: an invalid variable is dropped (its default
 * applies) and a missing required one stood in for, then the rest is validated again. `broken` names
 * the variables already reported, so that later checks do not report them twice.
 */
function validate (data: Record<string, string>): { env: Env, problems: string[], broken: Set<string> } {
  const problems: string[] = []
  const broken = new Set<string>()
  const attempt: Record<string, string> = { ...data }
  for (;;) {
    try {
      const env = envSchema<Env>({
        schema: envSchemaDefinition as object,
        data: { ...attempt },
        env: false,
        dotenv: false
      })
      return { env, problems, broken }
    } catch (err) {
      const errors = (err as { errors?: SchemaError[] }).errors
      if (errors === undefined || errors.length === 0) {
        throw new ConfigError(`Invalid configuration: ${(err as Error).message}`)
      }
      const before = broken.size
      for (const e of errors) {
        const { name, problem } = describe(e, data)
        if (broken.has(name)) continue
        broken.add(name)
        problems.push(problem)
        if (typeof e.params.missingProperty === 'string' || name in REQUIRED) attempt[name] = FILLER
        else Reflect.deleteProperty(attempt, name)
      }
      if (broken.size === before) throw new ConfigError(problems.join('\n'))
    }
  }
}

/** Variables with neither a value nor a default: a stand-in lets the others be checked. */
const requiredInSchema = envSchemaDefinition.required as readonly string[] | undefined ?? []
const REQUIRED: Record<string, true> = Object.fromEntries(Object.entries(envSchemaDefinition.properties)
  .filter(([name, schema]) => requiredInSchema.includes(name) && !('default' in schema))
  .map(([name]) => [name, true]))

/** `.env` in the working directory, if there is one: values of the environment win over it. */
function readDotenv (): Record<string, string> {
  try {
    return parseEnv(readFileSync(resolve('.env'), 'utf8')) as Record<string, string>
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigError(`.env could not be read: ${(err as Error).message}`)
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
      throw new ConfigError(`TRUST_PROXY is invalid: "${entry}" is too wide; ` +
        `a trusted range must be /${min} or narrower for IPv${family}`)
    }
    return entry
  })
}

function redisSettings (env: Env): RedisSettings {
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    const nodes = parseHostPorts('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES)
    return { kind: 'cluster', nodes, url: env.REDIS_URL }
  }
  if (env.REDIS_SENTINELS !== undefined) {
    if (env.REDIS_SENTINEL_MASTER === undefined) {
      throw new ConfigError('REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS')
    }
    const sentinels = parseHostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS)
    return { kind: 'sentinel', sentinels, name: env.REDIS_SENTINEL_MASTER, url: env.REDIS_URL }
  }
  if (env.REDIS_URL !== undefined) return { kind: 'single', url: env.REDIS_URL }
  return { kind: 'memory' }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * BigCommerce calls the app's callbacks over https; plain http is for a loopback address (tests, the
 * demo). A query or fragment would break every callback URL built from it.
 */
function publicUrl (value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError('PUBLIC_URL is invalid: it is not a URL')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new ConfigError('PUBLIC_URL is invalid: it must be https:// (http:// only for 127.0.0.1 or localhost)')
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError('PUBLIC_URL is invalid: it must be a base URL, with no credentials, query or fragment')
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '')
}

function pairOrNothing<T> (
  names: [string, string],
  a: string | undefined,
  b: string | undefined,
  make: () => T
): T | undefined {
  if (a === undefined && b === undefined) return undefined
  if (a === undefined || b === undefined) {
    const [missing, present] = a === undefined ? names : [names[1], names[0]]
    throw new ConfigError(`${missing} is required with ${present}`)
  }
  return make()
}

/** Runs a check that may refuse; its refusal joins the others instead of stopping the checks. */
function collect<T> (problems: string[], fallback: T, check: () => T): T {
  try {
    return check()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    problems.push(err.message)
    return fallback
  }
}

/** PUBLIC_URL turns app mode on; STORE_TOKEN_KEY is then required. */
function appConfig (
  env: Env,
  refuse: (name: string, problem: string) => void,
  broken: Set<string>,
  warnings: string[]
): AppConfig | undefined {
  const keys = splitList(env.STORE_TOKEN_KEY)
  if (env.PUBLIC_URL === undefined) {
    if (broken.has('PUBLIC_URL')) return undefined
    if (keys.length > 0) {
      warnings.push('STORE_TOKEN_KEY is set without PUBLIC_URL: app mode is off and the key is not used')
    }
    return undefined
  }
  let base: string | undefined
  try {
    base = publicUrl(env.PUBLIC_URL)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    refuse('PUBLIC_URL', err.message)
  }
  if (keys.length === 0) {
    refuse('STORE_TOKEN_KEY',
      'STORE_TOKEN_KEY is required with PUBLIC_URL (app mode keeps the stores\' access tokens encrypted with it)')
  } else if (keys.some((k) => k.length < 32)) {
    refuse('STORE_TOKEN_KEY', 'STORE_TOKEN_KEY is invalid: each key must have at least 32 characters')
  }
  if (base === undefined) return undefined
  return {
    publicUrl: base,
    tokenKeys: keys,
    loginUrl: env.BC_LOGIN_URL.replace(/\/+$/, ''),
    apiUrl: env.BC_API_URL.replace(/\/+$/, '')
  }
}

/**
 * Validates the environment once; throws a ConfigError whose message lists every problem, one line
 * each, naming its variable. `dotenv` reads `.env` from the working directory (the server entry and
 * `npm run check-config`); the environment's own values win over it.
 */
export function loadConfig (source: Record<string, string | undefined>, { dotenv = false } = {}): Config {
  // Empty values (FOO= in a compose file or in a copied .env.example) mean unset, not the empty string.
  const merged = { ...(dotenv ? readDotenv() : {}), ...source }
  const raw = Object.fromEntries(Object.entries(merged)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''))
  const { env, problems, broken } = validate(raw)
  const refuse = (name: string, problem: string): void => { if (!broken.has(name)) problems.push(problem) }
  for (const name of KNOWN_VARIABLES) {
    const value = raw[name]
    if (value !== undefined && PLACEHOLDER.test(value)) {
      refuse(name, `${name} still holds the placeholder from .env.example: set a real value`)
      broken.add(name)
    }
  }
  const production = env.NODE_ENV === 'production'
  const warnings: string[] = []
  // They carry the client secret and the stores' access tokens: never in clear outside this machine.
  for (const name of ['BC_LOGIN_URL', 'BC_API_URL'] as const) {
    const url = URL.canParse(env[name]) ? new URL(env[name]) : null
    if (production && url !== null && url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
      refuse(name, `${name} is invalid: it must be https:// in production (http:// only for 127.0.0.1 or localhost)`)
    }
  }

  const sessionSecrets = splitList(env.SESSION_SECRET)
  if (sessionSecrets.length === 0 || sessionSecrets.some((s) => s.length < 32)) {
    refuse('SESSION_SECRET', 'SESSION_SECRET is invalid: each secret must have at least 32 characters')
  }
  const clientSecrets = splitList(env.BC_CLIENT_SECRET)
  if (clientSecrets.length === 0) refuse('BC_CLIENT_SECRET', 'BC_CLIENT_SECRET is required')

  const app = appConfig(env, refuse, broken, warnings)
  // An invalid PUBLIC_URL is reported as such, not also as the lists app mode would not need.
  const appMode = raw.PUBLIC_URL !== undefined

  const stores = splitList(env.BC_STORE_HASHES)
  const badStore = stores.find((s) => !isStoreHash(s))
  if (badStore !== undefined) refuse('BC_STORE_HASHES', `BC_STORE_HASHES is invalid: "${badStore}" is not a store hash`)
  // In app mode the installs are the list; an unset static list then means no store beyond them.
  if (stores.length === 0 && !appMode) {
    if (production) refuse('BC_STORE_HASHES', 'BC_STORE_HASHES is required in production')
    else warnings.push('BC_STORE_HASHES is unset: tokens of ANY store are accepted (development only)')
  }

  const allowedOrigins = splitList(env.ALLOWED_ORIGINS).flatMap((entry) => {
    const pattern = parseOriginPattern(entry)
    if (pattern === null) refuse('ALLOWED_ORIGINS', `ALLOWED_ORIGINS is invalid: "${entry}" is not an origin (scheme://host[:port], one leading *. label allowed)`)
    return pattern === null ? [] : [pattern]
  })
  if (splitList(env.ALLOWED_ORIGINS).length === 0 && !appMode) {
    if (production) refuse('ALLOWED_ORIGINS', 'ALLOWED_ORIGINS is required in production')
    else warnings.push('ALLOWED_ORIGINS is unset: no storefront origin can exchange a token or change a session')
  }

  const before = problems.length
  const redis = collect<RedisSettings>(problems, { kind: 'memory' }, () => redisSettings(env))
  // A Redis setting already reported as invalid is not also reported as missing.
  const redisReported = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].some((name) => broken.has(name))
  if (redis.kind === 'memory' && problems.length === before && !redisReported) {
    if (production) {
      problems.push('REDIS_URL (or REDIS_SENTINELS or REDIS_CLUSTER_NODES) is required in production')
    } else {
      warnings.push('No Redis configured: sessions live in this process only; ' +
        'they are neither shared between instances nor kept across restarts')
    }
  }

  if (env.SESSION_ABSOLUTE_TIMEOUT < env.SESSION_IDLE_TIMEOUT) {
    // Blame the one that was set: SESSION_IDLE_TIMEOUT=30000 alone is the idle timeout's mistake.
    const idleAlone = raw.SESSION_IDLE_TIMEOUT !== undefined && raw.SESSION_ABSOLUTE_TIMEOUT === undefined
    const idle = env.SESSION_IDLE_TIMEOUT
    const absolute = env.SESSION_ABSOLUTE_TIMEOUT
    problems.push(idleAlone
      ? `SESSION_IDLE_TIMEOUT is invalid: ${idle} seconds is longer than SESSION_ABSOLUTE_TIMEOUT (${absolute}, ` +
        'its default); both are in seconds'
      : `SESSION_ABSOLUTE_TIMEOUT is invalid: ${absolute} seconds is shorter than SESSION_IDLE_TIMEOUT (${idle})`)
  }

  const cookieName = env.COOKIE_NAME ?? (env.COOKIE_DOMAIN !== undefined ? '__Secure-bc_session' : '__Host-bc_session')
  if (cookieName.startsWith('__Host-') && env.COOKIE_DOMAIN !== undefined) {
    refuse('COOKIE_NAME', 'COOKIE_NAME is invalid: a __Host- cookie cannot have COOKIE_DOMAIN; use a __Secure- name')
  }
  if (env.BC_WEBHOOK_SECRET !== undefined) {
    warnings.push('BC_WEBHOOK_SECRET is set: webhooks carrying it in X-Webhook-Secret are accepted ' +
      'with no timestamp and nothing over the body; prefer the signed deliveries (see SECURITY.md)')
  }
  if (production && env.METRICS_TOKEN === undefined) {
    warnings.push('METRICS_TOKEN is unset: /metrics is open to anyone who reaches the port; ' +
      'set it, or keep the port private')
  }
  if (env.COOKIE_SAMESITE === 'none' && env.COOKIE_PARTITIONED === 'false') {
    warnings.push('COOKIE_SAMESITE=none without COOKIE_PARTITIONED: ' +
      'browsers that block third-party cookies will drop the session cookie')
  }
  const bigcommerce = collect(problems, undefined, () => pairOrNothing(
    ['BC_STORE_HASH', 'BC_ACCESS_TOKEN'],
    env.BC_STORE_HASH,
    env.BC_ACCESS_TOKEN,
    () => ({
      storeHash: env.BC_STORE_HASH as string,
      accessToken: env.BC_ACCESS_TOKEN as string,
      apiUrl: env.BC_API_URL
    })
  ))
  const upstream = collect(problems, undefined, () => pairOrNothing(
    ['UPSTREAM_URL', 'UPSTREAM_SIGNING_SECRET'],
    env.UPSTREAM_URL,
    env.UPSTREAM_SIGNING_SECRET,
    () => ({ url: env.UPSTREAM_URL as string, signingSecret: env.UPSTREAM_SIGNING_SECRET as string })
  ))
  const trustProxy = collect(problems, [], () => trustedProxies(env.TRUST_PROXY))

  if (problems.length > 0) throw new ConfigError(problems.join('\n'))

  return {
    production,
    clientId: env.BC_CLIENT_ID,
    clientSecrets,
    storeHashes: stores.length > 0 || app !== undefined ? new Set(stores) : null,
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
    bigcommerce,
    upstream,
    ...(app !== undefined && { app }),
    trustProxy,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    docs: env.DOCS !== undefined ? env.DOCS === 'true' : !production,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    warnings
  }
}
