// Start-up refusals: every problem at once, each naming its variable (README, "Configuration").
import t from 'tap'
import { loadConfig, ConfigError } from '../src/config.js'
import { BASE_ENV, configProblems as problemsOf } from './support/app.js'

const refuse = (t: Tap, env: Record<string, string | undefined>, variable: string): void => {
  let caught: unknown
  try {
    loadConfig(env)
  } catch (err) {
    caught = err
  }
  t.ok(caught instanceof ConfigError && caught.message.includes(variable),
    `refused naming ${variable}: ${String(caught)}`)
}
type Tap = Pick<typeof t, 'ok'>

t.test('required variables', async (t) => {
  for (const name of ['BC_CLIENT_ID', 'BC_CLIENT_SECRET', 'SESSION_SECRET']) {
    refuse(t, { ...BASE_ENV, [name]: undefined }, name)
    refuse(t, { ...BASE_ENV, [name]: '' }, name)
  }
})

t.test('production refuses what development only warns about', async (t) => {
  const prod = { ...BASE_ENV, NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' }
  t.ok(loadConfig(prod).production)
  refuse(t, { ...prod, REDIS_URL: undefined }, 'REDIS_URL')
  refuse(t, { ...prod, BC_STORE_HASHES: undefined }, 'BC_STORE_HASHES')
  refuse(t, { ...prod, ALLOWED_ORIGINS: undefined }, 'ALLOWED_ORIGINS')
  const dev = loadConfig({ ...BASE_ENV, BC_STORE_HASHES: undefined, ALLOWED_ORIGINS: undefined })
  t.equal(dev.redis.kind, 'memory')
  t.equal(dev.storeHashes, null)
  t.match(dev.warnings.join('\n'), /in this process only/)
  t.match(dev.warnings.join('\n'), /BC_STORE_HASHES/)
})

t.test('invalid values', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ SESSION_SECRET: 'too-short' }, 'SESSION_SECRET'],
    [{ SESSION_SECRET: `${'a'.repeat(32)},short` }, 'SESSION_SECRET'],
    [{ SESSION_IDLE_TIMEOUT: 'soon' }, 'SESSION_IDLE_TIMEOUT'],
    [{ SESSION_IDLE_TIMEOUT: '0' }, 'SESSION_IDLE_TIMEOUT'],
    [{ SESSION_IDLE_TIMEOUT: '600', SESSION_ABSOLUTE_TIMEOUT: '60' }, 'SESSION_ABSOLUTE_TIMEOUT'],
    [{ COOKIE_SAMESITE: 'sometimes' }, 'COOKIE_SAMESITE'],
    [{ COOKIE_PARTITIONED: 'yes' }, 'COOKIE_PARTITIONED'],
    [{ COOKIE_DOMAIN: 'example.com', COOKIE_NAME: '__Host-x' }, 'COOKIE_NAME'],
    [{ ALLOWED_ORIGINS: 'https://*.com' }, 'ALLOWED_ORIGINS'],
    [{ ALLOWED_ORIGINS: '*' }, 'ALLOWED_ORIGINS'],
    [{ BC_STORE_HASHES: 'abc,../x' }, 'BC_STORE_HASHES'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ REDIS_SENTINELS: 'a:1' }, 'REDIS_SENTINEL_MASTER'],
    [{ REDIS_CLUSTER_NODES: 'a:b' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_COMMAND_TIMEOUT_MS: '5' }, 'REDIS_COMMAND_TIMEOUT_MS'],
    [{ RATE_LIMIT_EXCHANGE: '-1' }, 'RATE_LIMIT_EXCHANGE'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '2' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ UPSTREAM_URL: 'http://internal:8080' }, 'UPSTREAM_SIGNING_SECRET'],
    [{ BC_ACCESS_TOKEN: 'x' }, 'BC_STORE_HASH'],
    [{ JWT_CLOCK_TOLERANCE: '3600' }, 'JWT_CLOCK_TOLERANCE']
  ]
  for (const [env, variable] of cases) refuse(t, { ...BASE_ENV, ...env }, variable)
})

t.test('placeholders copied from .env.example are refused, naming the variable', async (t) => {
  for (const name of ['BC_CLIENT_SECRET', 'SESSION_SECRET', 'ADMIN_TOKEN', 'METRICS_TOKEN', 'BC_WEBHOOK_SECRET']) {
    refuse(t, { ...BASE_ENV, [name]: 'change-me-to-a-long-random-secret-of-32-chars' }, name)
  }
})

t.test('typed values and defaults', async (t) => {
  const c = loadConfig({
    ...BASE_ENV,
    TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1',
    REDIS_SENTINELS: 'h1:26379,[::1]:26380',
    REDIS_SENTINEL_MASTER: 'mymaster',
    COOKIE_DOMAIN: 'shop.example.com'
  })
  t.same(c.trustProxy, ['10.0.0.1', '192.168.0.0/16', '::1'])
  t.same(c.redis, {
    kind: 'sentinel',
    sentinels: [{ host: 'h1', port: 26379 }, { host: '::1', port: 26380 }],
    name: 'mymaster',
    url: undefined
  })
  t.equal(c.cookie.name, '__Secure-bc_session')
  t.equal(c.idleTimeout, 1800)
  t.equal(c.absoluteTimeout, 28800)
  t.equal(c.maxSessionsPerCustomer, 10)
  t.equal(c.clockTolerance, 60)
  t.equal(c.redisCommandTimeoutMs, 1000)
  t.equal(c.rateLimitExchange, 0)
  t.equal(loadConfig({ ...BASE_ENV, RATE_LIMIT_EXCHANGE: undefined }).rateLimitExchange, 60)
  t.same(c.cookie, { name: '__Secure-bc_session', sameSite: 'none', partitioned: true, domain: 'shop.example.com' })
  t.same(loadConfig({ ...BASE_ENV, REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' }).redis,
    { kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }], url: undefined })
})

t.test('TRUST_PROXY: a range that would trust the internet is refused, naming the variable', async (t) => {
  for (const value of ['0.0.0.0/0', '::/0', '0.0.0.0/1,128.0.0.0/1', '10.0.0.0/7', '2000::/6']) {
    refuse(t, { ...BASE_ENV, TRUST_PROXY: value }, 'TRUST_PROXY')
  }
  t.same(loadConfig({ ...BASE_ENV, TRUST_PROXY: '10.0.0.0/8,fc00::/7,192.168.1.5' }).trustProxy,
    ['10.0.0.0/8', 'fc00::/7', '192.168.1.5'], 'the widest allowed ranges, and an exact address')
})

t.test('DOCS: off in production unless DOCS=true, on in development unless DOCS=false', async (t) => {
  const prod = { ...BASE_ENV, NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' }
  t.equal(loadConfig(prod).docs, false)
  t.equal(loadConfig({ ...prod, DOCS: 'true' }).docs, true)
  t.equal(loadConfig(BASE_ENV).docs, true)
  t.equal(loadConfig({ ...BASE_ENV, DOCS: 'false' }).docs, false)
  refuse(t, { ...BASE_ENV, DOCS: 'yes' }, 'DOCS')
})

t.test('BC_WEBHOOK_SECRET: accepted, with a warning that the signed deliveries are preferred', async (t) => {
  t.notMatch(loadConfig(BASE_ENV).warnings.join('\n'), /BC_WEBHOOK_SECRET/)
  t.match(loadConfig({ ...BASE_ENV, BC_WEBHOOK_SECRET: 'a-long-random-webhook-secret' }).warnings.join('\n'),
    /BC_WEBHOOK_SECRET is set: .*prefer the signed deliveries/)
})

t.test('every problem is reported at once, one line each, naming its variable', async (t) => {
  const problems = problemsOf({
    ...BASE_ENV,
    SESSION_SECRET: undefined,
    SESSION_IDLE_TIMEOUT: 'abc',
    COOKIE_SAMESITE: 'sometimes',
    BC_STORE_HASHES: 'a/b',
    TRUST_PROXY: '0.0.0.0/0',
    UPSTREAM_URL: 'http://127.0.0.1:9'
  })
  t.equal(problems.length, 6, problems.join(' | '))
  for (const name of ['SESSION_SECRET', 'SESSION_IDLE_TIMEOUT', 'COOKIE_SAMESITE', 'BC_STORE_HASHES', 'TRUST_PROXY',
    'UPSTREAM_SIGNING_SECRET']) {
    t.ok(problems.some((p) => p.startsWith(name)), `a line starts with ${name}`)
  }
})

t.test('enums list their allowed values; numbers say what is wrong', async (t) => {
  t.same(problemsOf({ ...BASE_ENV, COOKIE_SAMESITE: 'sometimes' }),
    ['COOKIE_SAMESITE is invalid: "sometimes" is not one of none, lax, strict'])
  t.same(problemsOf({ ...BASE_ENV, LOG_LEVEL: 'verbose' }),
    ['LOG_LEVEL is invalid: "verbose" is not one of fatal, error, warn, info, debug, trace, silent'])
  t.same(problemsOf({ ...BASE_ENV, SESSION_IDLE_TIMEOUT: '30m' }),
    ['SESSION_IDLE_TIMEOUT is invalid: "30m" is not a whole number'])
  t.same(problemsOf({ ...BASE_ENV, JWT_CLOCK_TOLERANCE: '301' }),
    ['JWT_CLOCK_TOLERANCE is invalid: 301 is above the maximum, 300'])
})

t.test('NODE_ENV is validated: prod is not silently development', async (t) => {
  t.same(problemsOf({ ...BASE_ENV, NODE_ENV: 'prod' }),
    ['NODE_ENV is invalid: "prod" is not one of development, test, production'])
})

t.test('the timeout that was set is the one blamed', async (t) => {
  t.match(problemsOf({ ...BASE_ENV, SESSION_IDLE_TIMEOUT: '30000' }),
    [/^SESSION_IDLE_TIMEOUT is invalid: 30000 seconds is longer than SESSION_ABSOLUTE_TIMEOUT \(28800, its default\)/])
  t.match(problemsOf({ ...BASE_ENV, SESSION_ABSOLUTE_TIMEOUT: '600' }),
    [/^SESSION_ABSOLUTE_TIMEOUT is invalid: 600 seconds is shorter than SESSION_IDLE_TIMEOUT \(1800\)/])
})

t.test('production warns when /metrics is open', async (t) => {
  const prod = { ...BASE_ENV, NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' }
  t.match(loadConfig(prod).warnings.join('\n'), /METRICS_TOKEN is unset: \/metrics is open/)
  t.notMatch(loadConfig({ ...prod, METRICS_TOKEN: 'metrics-token-0123456789' }).warnings.join('\n'), /METRICS_TOKEN/)
  t.notMatch(loadConfig(BASE_ENV).warnings.join('\n'), /METRICS_TOKEN/, 'not in development')
})

t.test('an invalid Redis URL is reported once, not also as missing', async (t) => {
  t.same(problemsOf({ ...BASE_ENV, NODE_ENV: 'production', REDIS_URL: 'http://127.0.0.1:6379' }),
    ['REDIS_URL is invalid: it must match pattern "^rediss?://"'])
})

t.test('production: BigCommerce hosts over https only (they carry the client secret and access tokens)', async (t) => {
  const prod = { ...BASE_ENV, NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' }
  t.same(problemsOf({ ...prod, BC_API_URL: 'http://api.example.com' }),
    ['BC_API_URL is invalid: it must be https:// in production (http:// only for 127.0.0.1 or localhost)'])
  t.same(problemsOf({ ...prod, BC_LOGIN_URL: 'http://login.example.com' }),
    ['BC_LOGIN_URL is invalid: it must be https:// in production (http:// only for 127.0.0.1 or localhost)'])
  t.equal(loadConfig({ ...prod, BC_API_URL: 'http://127.0.0.1:9000' }).production, true, 'a loopback stand-in is fine')
  t.equal(loadConfig({ ...BASE_ENV, BC_API_URL: 'http://api.example.com' }).production, false,
    'development may use http')
})
