// App mode's variables: PUBLIC_URL turns it on, STORE_TOKEN_KEY is then required, the static lists optional.
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { BASE_ENV, configProblems as problemsOf } from '../support/app.js'

const KEY = 'store-token-key-0123456789abcdef0123'
const PROD =
  { ...BASE_ENV, NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379', METRICS_TOKEN: 'metrics-token' }

t.test('unset: single-store mode, as before', async (t) => {
  const config = loadConfig(BASE_ENV)
  t.equal(config.app, undefined)
  t.same([...config.storeHashes ?? []], ['abc123', 'xyz789'])
  t.equal(loadConfig({ ...BASE_ENV, BC_STORE_HASHES: undefined }).storeHashes, null,
    'development without a list: any store')
  t.match(loadConfig({ ...BASE_ENV, STORE_TOKEN_KEY: KEY }).warnings, [/STORE_TOKEN_KEY is set without PUBLIC_URL/])
})

t.test('PUBLIC_URL with a key: app mode, typed', async (t) => {
  const config =
    loadConfig({ ...BASE_ENV, PUBLIC_URL: 'https://sessions.example.com/', STORE_TOKEN_KEY: `${KEY}, old-${KEY}` })
  t.same(config.app, {
    publicUrl: 'https://sessions.example.com',
    tokenKeys: [KEY, `old-${KEY}`],
    loginUrl: 'https://login.bigcommerce.com',
    apiUrl: 'https://api.bigcommerce.com'
  })
  const custom = loadConfig({
    ...BASE_ENV,
    PUBLIC_URL: 'http://127.0.0.1:3000/bcx',
    STORE_TOKEN_KEY: KEY,
    BC_LOGIN_URL: 'http://127.0.0.1:9999/',
    BC_API_URL: 'http://127.0.0.1:9998'
  })
  t.equal(custom.app?.publicUrl, 'http://127.0.0.1:3000/bcx', 'a path prefix is kept; http on loopback for tests')
  t.equal(custom.app?.loginUrl, 'http://127.0.0.1:9999')
  t.equal(custom.app?.apiUrl, 'http://127.0.0.1:9998')
  t.equal(loadConfig({ ...BASE_ENV, PUBLIC_URL: 'http://localhost:3000', STORE_TOKEN_KEY: KEY }).app?.publicUrl,
    'http://localhost:3000')
})

t.test('in app mode the static lists are optional, even in production; an unset store list serves installs only',
  async (t) => {
    const config = loadConfig({
      ...PROD,
      BC_STORE_HASHES: undefined,
      ALLOWED_ORIGINS: undefined,
      PUBLIC_URL: 'https://sessions.example.com',
      STORE_TOKEN_KEY: KEY
    })
    t.ok(config.storeHashes instanceof Set)
    t.equal(config.storeHashes?.size, 0, 'an empty static set, never null (null would serve any store)')
    t.same(config.allowedOrigins, [])
    const dev = loadConfig({
      ...BASE_ENV,
      BC_STORE_HASHES: undefined,
      PUBLIC_URL: 'https://sessions.example.com',
      STORE_TOKEN_KEY: KEY
    })
    t.equal(dev.storeHashes?.size, 0, 'in development too')
    t.notMatch(dev.warnings.join('\n'), /ANY store/)
    t.match(problemsOf({ ...PROD, BC_STORE_HASHES: undefined, ALLOWED_ORIGINS: undefined }),
      ['BC_STORE_HASHES is required in production', 'ALLOWED_ORIGINS is required in production'])
  })

t.test('every problem reported, each naming its variable', async (t) => {
  t.same(problemsOf({ ...BASE_ENV, PUBLIC_URL: 'https://sessions.example.com' }),
    ["STORE_TOKEN_KEY is required with PUBLIC_URL (app mode keeps the stores' access tokens encrypted with it)"])
  t.same(problemsOf({ ...BASE_ENV, PUBLIC_URL: 'https://sessions.example.com', STORE_TOKEN_KEY: `${KEY},short` }),
    ['STORE_TOKEN_KEY is invalid: each key must have at least 32 characters'])
  t.same(problemsOf({
    ...BASE_ENV,
    PUBLIC_URL: 'https://sessions.example.com',
    STORE_TOKEN_KEY: 'change-me-to-32-random-characters-please'
  }),
  ['STORE_TOKEN_KEY still holds the placeholder from .env.example: set a real value'])
  t.same(problemsOf({ ...BASE_ENV, PUBLIC_URL: 'http://sessions.example.com', STORE_TOKEN_KEY: KEY }),
    ['PUBLIC_URL is invalid: it must be https:// (http:// only for 127.0.0.1 or localhost)'])
  t.same(problemsOf({ ...BASE_ENV, PUBLIC_URL: 'https://sessions.example.com/?a=1', STORE_TOKEN_KEY: KEY }),
    ['PUBLIC_URL is invalid: it must be a base URL, with no credentials, query or fragment'])
  t.same(problemsOf({ ...BASE_ENV, PUBLIC_URL: 'https://user:pw@sessions.example.com', STORE_TOKEN_KEY: KEY }),
    ['PUBLIC_URL is invalid: it must be a base URL, with no credentials, query or fragment'])
  t.same(problemsOf({ ...BASE_ENV, PUBLIC_URL: 'https://', STORE_TOKEN_KEY: KEY }),
    ['PUBLIC_URL is invalid: it is not a URL'])
  t.same(problemsOf({ ...BASE_ENV, PUBLIC_URL: 'ftp://x', BC_LOGIN_URL: 'login.bigcommerce.com' }), [
    'PUBLIC_URL is invalid: it must match pattern "^https?://"',
    'BC_LOGIN_URL is invalid: it must match pattern "^https?://"'
  ])
  const both = problemsOf({
    ...PROD,
    BC_STORE_HASHES: undefined,
    ALLOWED_ORIGINS: undefined,
    PUBLIC_URL: 'http://sessions.example.com'
  })
  t.same(both.sort(), [
    'PUBLIC_URL is invalid: it must be https:// (http:// only for 127.0.0.1 or localhost)',
    "STORE_TOKEN_KEY is required with PUBLIC_URL (app mode keeps the stores' access tokens encrypted with it)"
  ].sort(), 'an invalid PUBLIC_URL does not also blame the lists app mode would make optional')
})
