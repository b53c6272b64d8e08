// The package as a user gets it: `npm pack`, the tarball installed into a scratch app beside its own
// Fastify, a TypeScript file that uses the public API type-checked as strictly as a user's project
// would (skipLibCheck: false), then compiled and run: a token exchanged against the in-process store.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { mintCustomerToken } from '../../src/dev/mint-token.js'
import { CLIENT_ID, CLIENT_SECRET, ORIGIN, SESSION_SECRET, STORE } from '../support/app.js'
import { buildDist, ROOT } from '../support/server-process.js'

// npm install and a full type check of every dependency's declarations take minutes on a busy machine.
t.setTimeout(20 * 60_000)

const run = promisify(execFile)
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  version: string
  peerDependencies: Record<string, string>
  devDependencies: Record<string, string>
}
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

/** npm without the test runner's loader options and without the npm variables of an outer `npm test`. */
const npmEnv =
  Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^(TAP|npm_)/i.test(k)))
const npm = async (args: string[], cwd: string): Promise<string> =>
  (await run('npm', args, { cwd, env: npmEnv, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 })).stdout

const work = mkdtempSync(join(tmpdir(), 'bcx-package-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

await buildDist()
// --ignore-scripts: `prepare` would build again; buildDist just made dist/ current.
const [packed] = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work],
  ROOT)) as Array<{ filename: string, files: Array<{ path: string }> }>
if (packed === undefined) throw new Error('npm pack printed no package')
const files = packed.files.map((f) => f.path).sort()

t.test('the tarball holds what runs and its documents, nothing else', async (t) => {
  const allowed = /^(dist\/src\/.+\.(js|d\.ts)|src\/storefront\/bc-session\.(js|d\.ts)|package\.json|README\.md|LICENSE|CHANGELOG\.md|SECURITY\.md)$/
  t.same(files.filter((f) => !allowed.test(f)), [], 'no tests, CI files, scripts, sources or source maps')
  for (const needed of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/server.js',
    'src/storefront/bc-session.js', 'src/storefront/bc-session.d.ts', 'LICENSE', 'README.md', 'CHANGELOG.md']) {
    t.ok(files.includes(needed), needed)
  }
  t.ok(files.length < 200, `${files.length} files`)
})

t.test('installed into an app with its own fastify: strict types, then an exchange through it', async (t) => {
  const app = join(work, 'app')
  const fastifyVersion = pkg.devDependencies.fastify ?? pkg.peerDependencies.fastify ?? 'latest'
  const typesNode = (JSON.parse(readFileSync(join(ROOT, 'node_modules', '@types', 'node', 'package.json'),
    'utf8')) as { version: string }).version
  await run('mkdir', ['-p', join(app, 'src')])
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }))
  // --prefer-offline: what npm ci already cached is taken from the cache, the rest from the registry.
  await npm(['install', join(work, packed.filename), `fastify@${fastifyVersion}`, `@types/node@${typesNode}`,
    '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app)

  const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'bc-session-exchanger', 'package.json'),
    'utf8')) as { version: string }
  t.equal(installed.version, pkg.version)
  const fastifyCopies =
    (await npm(['ls', 'fastify', '--all', '--parseable'], app)).split('\n').filter((l) => l.trim() !== '')
  t.equal(fastifyCopies.length, 1, `one fastify in the app: ${fastifyCopies.join(', ')}`)

  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2023', 'DOM'],
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      outDir: 'out'
    },
    include: ['src']
  }))
  writeFileSync(join(app, 'src', 'main.ts'), APP_SOURCE)
  const compiled = await run(process.execPath, [TSC, '-p', 'tsconfig.json'],
    { cwd: app, maxBuffer: 16 * 1024 * 1024 }).then(() => '',
    (e: { stdout?: string, stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`)
  t.equal(compiled, '', 'tsc reports no error (skipLibCheck: false, strict)')

  const token =
    await mintCustomerToken({ secret: CLIENT_SECRET, clientId: CLIENT_ID, customerId: 4927, storeHash: STORE })
  const env = {
    PATH: process.env.PATH ?? '',
    APP_ENV: JSON.stringify({
      NODE_ENV: 'development',
      BC_CLIENT_ID: CLIENT_ID,
      BC_CLIENT_SECRET: CLIENT_SECRET,
      BC_STORE_HASHES: STORE,
      ALLOWED_ORIGINS: ORIGIN,
      SESSION_SECRET,
      LOG_LEVEL: 'silent'
    })
  }
  const { stdout } = await run(process.execPath, ['out/main.js', token, ORIGIN], { cwd: app, env, timeout: 5 * 60_000 })
  const result = JSON.parse(stdout) as Record<string, unknown>
  t.match(result.customer, { id: 4927 }, 'the session body names the customer')
  delete result.customer
  t.same(result, {
    created: 201,
    store: STORE,
    replayed: [409, 'BCX_TOKEN_REPLAYED'],
    whoami: { id: 4927, store: STORE },
    unauthenticated: 401,
    script: 200,
    scriptInsidePackage: true,
    scriptSameBytes: true
  })
})

/** A user's app: registers the plugin in its own Fastify and adds a session-protected route. */
const APP_SOURCE = `
import Fastify from 'fastify'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import {
  bcSessionExchanger, loadConfig, requireCustomerSession, ERROR_CODES, type Config, type SessionBody
} from 'bc-session-exchanger'
import type { BcSession, BcSessionCustomer } from 'bc-session-exchanger/storefront.js'

const [token = '', origin = ''] = process.argv.slice(2)
const config: Config = loadConfig(JSON.parse(process.env.APP_ENV ?? '{}') as Record<string, string>)
const app = Fastify()
await app.register(bcSessionExchanger, { config })
await app.register(async (scope) => {
  requireCustomerSession(scope)
  scope.get('/whoami', async (request) => ({ id: request.customer.id, store: request.customer.storeHash }))
}, { prefix: '/api/mine' })
await app.ready()

const exchange = async () =>
    await app.inject({ method: 'POST', url: '/session',
      headers: { origin, 'x-csrf': '1', 'content-type': 'text/plain' }, payload: token })
const created = await exchange()
const session = created.json<SessionBody>()
const cookie = String(created.headers['set-cookie']).split(';', 1)[0] ?? ''
const replay = await exchange()
const whoami = await app.inject({ method: 'GET', url: '/api/mine/whoami', headers: { origin, 'x-csrf': '1', cookie } })
const anonymous = await app.inject({ method: 'GET', url: '/api/mine/whoami', headers: { origin, 'x-csrf': '1' } })
const script = await app.inject({ method: 'GET', url: '/storefront.js' })
const scriptFile = createRequire(import.meta.url).resolve('bc-session-exchanger/storefront.js')
const packageDir =
  createRequire(import.meta.url).resolve('bc-session-exchanger/package.json').replace(/package\\.json$/, '')

// The storefront types, as a theme's TypeScript would use them.
const shopper: BcSessionCustomer | null = null
const api: Pick<BcSession, 'ready'> = { ready: async () => shopper }
const replayCode: keyof typeof ERROR_CODES = 'BCX_TOKEN_REPLAYED'

console.log(JSON.stringify({
  created: created.statusCode,
  customer: session.customer,
  store: session.store_hash,
  replayed: [replay.statusCode,
    replay.json<{ code: string }>().code === replayCode ? replayCode : replay.json<{ code: string }>().code],
  whoami: whoami.json<{ id: number, store: string }>(),
  unauthenticated: anonymous.statusCode,
  script: script.statusCode,
  scriptInsidePackage: scriptFile.startsWith(packageDir),
  scriptSameBytes: readFileSync(scriptFile).equals(script.rawPayload) && (await api.ready()) === null
}))
await app.close()
`
