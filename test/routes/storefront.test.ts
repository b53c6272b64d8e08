import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { pathToFileURL, fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import storefrontRoutes, { IMMUTABLE, SHORT } from '../../src/routes/storefront.js'
import { ErrorSchema } from '../../src/schemas.js'
import { assetOf, loadScriptAsset, scriptPath } from '../../src/storefront/script-asset.js'
import { build, startRedis, ORIGIN } from '../support/app.js'
import { signIn, getSession } from '../support/session.js'

const SOURCE = readFileSync(fileURLToPath(new URL('../../src/storefront/bc-session.js', import.meta.url)))
const asset = loadScriptAsset()

t.test('the bare URL: the script, readable by any origin, cached briefly', async (t) => {
  const { app } = await build(t, { redis: 'memory' })
  const res = await app.inject({ method: 'GET', url: '/storefront.js', headers: { origin: 'https://anyone.example' } })
  t.equal(res.statusCode, 200)
  t.ok(res.rawPayload.equals(SOURCE), 'the file, byte for byte')
  t.equal(res.headers['content-type'], 'text/javascript; charset=utf-8')
  t.equal(res.headers['cache-control'], SHORT)
  t.equal(res.headers.etag, `"${asset.version}"`)
  t.equal(res.headers['access-control-allow-origin'], '*', 'any origin, so SRI with crossorigin="anonymous" works')
  t.equal(res.headers['access-control-allow-credentials'], undefined, 'never with credentials')
  t.equal(res.headers.vary, undefined, 'one response for every origin')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['cross-origin-resource-policy'], 'cross-origin')
  t.equal(res.headers['set-cookie'], undefined)
})

t.test('the versioned URL is immutable; another version gets the current script, cached briefly', async (t) => {
  const { app } = await build(t, { redis: 'memory' })
  const current = await app.inject({ method: 'GET', url: `/storefront.js?v=${asset.version}` })
  t.equal(current.statusCode, 200)
  t.equal(current.headers['cache-control'], IMMUTABLE)
  t.ok(current.rawPayload.equals(SOURCE))
  const stale = await app.inject({ method: 'GET', url: '/storefront.js?v=0123456789abcdef' })
  t.equal(stale.statusCode, 200)
  t.equal(stale.headers['cache-control'], SHORT, 'an old version URL must not pin new bytes for a year')
  t.ok(stale.rawPayload.equals(SOURCE))
})

t.test('the version and the SRI value follow the content', async (t) => {
  t.equal(asset.version, createHash('sha256').update(SOURCE).digest('hex').slice(0, 16))
  t.equal(asset.integrity, `sha384-${createHash('sha384').update(SOURCE).digest('base64')}`)
  const changed = assetOf(Buffer.concat([SOURCE, Buffer.from('\n')]))
  t.not(changed.version, asset.version, 'a deploy with a changed script gets a new URL')
  t.not(changed.integrity, asset.integrity)
})

t.test('If-None-Match answers 304 without a body', async (t) => {
  const { app } = await build(t, { redis: 'memory' })
  for (const tag of [`"${asset.version}"`, `W/"${asset.version}"`, `"other", "${asset.version}"`, '*']) {
    const res = await app.inject({ method: 'GET', url: '/storefront.js', headers: { 'if-none-match': tag } })
    t.equal(res.statusCode, 304, tag)
    t.equal(res.payload, '')
    t.equal(res.headers.etag, `"${asset.version}"`)
    t.equal(res.headers['cache-control'], SHORT)
  }
  const other =
    await app.inject({ method: 'GET', url: '/storefront.js', headers: { 'if-none-match': '"0123456789abcdef"' } })
  t.equal(other.statusCode, 200)
  t.ok(other.rawPayload.equals(SOURCE))
})

t.test('HEAD answers the headers alone', async (t) => {
  const { app } = await build(t, { redis: 'memory' })
  const res = await app.inject({ method: 'HEAD', url: '/storefront.js' })
  t.equal(res.statusCode, 200)
  t.equal(res.payload, '')
  t.equal(res.headers['content-type'], 'text/javascript; charset=utf-8')
  t.equal(res.headers['content-length'], String(SOURCE.length))
})

t.test('a bad query is a 400 in our error shape', async (t) => {
  const { app } = await build(t, { redis: 'memory' })
  const res = await app.inject({ method: 'GET', url: `/storefront.js?v=${'a'.repeat(65)}` })
  t.equal(res.statusCode, 400)
  t.match(res.json(), { statusCode: 400, code: 'BCX_BAD_REQUEST', error: 'Bad Request' })
})

t.test('the session cookie is ignored: no Redis command, no cookie change, no no-store', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie } = await signIn(app)
  await redis.client.config('RESETSTAT')
  for (const c of [cookie, '__Host-bc_session=forged.signature']) {
    const res = await app.inject({ method: 'GET', url: '/storefront.js', headers: { origin: ORIGIN, cookie: c } })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['set-cookie'], undefined, 'even a forged cookie is not cleared here')
    t.equal(res.headers['cache-control'], SHORT)
    t.equal(res.headers['access-control-allow-origin'], '*')
  }
  const stats = await redis.client.info('commandstats')
  const calls =
    [...stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].filter(([, cmd]) => cmd !== 'info' && cmd !== 'config')
  t.same(calls.map(([, cmd, n]) => `${cmd}=${n}`), [], 'no command but our own INFO')
  const still = await getSession(app, cookie)
  t.equal(still.statusCode, 200, 'the session is untouched')
})

t.test('the OpenAPI document describes the script response', async (t) => {
  const { app } = await build(t, { redis: 'memory' })
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  const get = doc.paths['/storefront.js'].get
  t.same(Object.keys(get.responses['200'].content), ['text/javascript'])
  t.ok(get.responses['304'])
  t.ok(get.responses['400'])
  t.match(get.parameters, [{ in: 'query', name: 'v' }])
})

t.test('the route plugin serves the asset it is given', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const custom = assetOf(Buffer.from('window.x = 1\n'))
  app.addSchema(ErrorSchema)
  await app.register(storefrontRoutes, { asset: custom })
  const res = await app.inject({ method: 'GET', url: `/storefront.js?v=${custom.version}` })
  t.equal(res.payload, 'window.x = 1\n')
  t.equal(res.headers.etag, `"${custom.version}"`)
  t.equal(res.headers['cache-control'], IMMUTABLE)
})

t.test('the script file is found from src and from the compiled dist', async (t) => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const expected = `${root}src/storefront/bc-session.js`
  t.equal(scriptPath(), expected)
  t.equal(scriptPath(pathToFileURL(`${root}dist/src/storefront/script-asset.js`).href), expected,
    'dist reads the source tree')
  t.throws(() => scriptPath(pathToFileURL('/nowhere/at/all/script-asset.js').href), /storefront script not found/)
})
