// The Dockerfile, checked without an engine: two stages, production dependencies only, a non-root user,
// NODE_ENV=production, a HEALTHCHECK that works, and everything the running service reads is copied.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { isBuiltin } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { freePort } from '../support/redis-server.js'
import { buildDist, ROOT, SERVER_ENTRY } from '../support/server-process.js'
import { dockerfileStages, dockerHealthcheck, healthcheckCommand, type Stage } from './dockerfile.js'

const stages = dockerfileStages()
const [build, production] = [stages[0] as Stage, stages.at(-1) as Stage]
const runs = (stage: Stage): string[] => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)
const args = (stage: Stage, keyword: string): string[] =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args)

t.test('multi-stage: build with every dependency, run with production ones only', async (t) => {
  t.equal(stages.length, 2)
  t.equal(build.name, 'build')
  t.equal(production.from, build.from, 'the same Node image for both')
  t.match(build.from, /^node:\$\{NODE_VERSION\}-\w+-slim$/)
  t.ok(runs(build).some((r) => /^npm ci\b/.test(r) && !r.includes('--omit')), 'the build stage installs everything')
  t.ok(runs(build).some((r) => /^npm ci\b.*--ignore-scripts\b/.test(r)),
    'without the package\'s prepare, which needs the sources copied after it')
  t.ok(runs(build).some((r) => /\bnpm run build\b/.test(r)), 'and builds')
  t.ok(runs(production).some((r) => /^npm ci --omit=dev --ignore-scripts\b/.test(r)),
    'the final stage installs production dependencies, running no install script')
  t.notOk(runs(production).some((r) => /npm run build|tsc/.test(r)), 'and compiles nothing')
})

t.test('the final stage: NODE_ENV=production, a non-root user, the server as PID 1', async (t) => {
  t.match(args(production, 'ENV').join(' '), /\bNODE_ENV=production\b/)
  const users = args(production, 'USER')
  t.equal(users.length, 1)
  t.notMatch(users[0], /^(root|0)(:|$)/, 'not root')
  const userAt = production.instructions.findIndex((i) => i.keyword === 'USER')
  t.notOk(production.instructions.slice(userAt).some((i) => i.keyword === 'RUN'),
    'nothing runs as that user at build time')
  t.same(JSON.parse(args(production, 'CMD')[0] as string), ['node', 'dist/src/server.js'],
    'node itself receives SIGTERM')
  const instructions = stages.flatMap((s) => s.instructions.map((i) => i.args)).join('\n')
  t.notMatch(instructions, /\b(curl|wget|apt-get)\b/, 'no curl or wget installed or used')
})

t.test('everything the running service reads is in the image', async (t) => {
  await buildDist()
  const copies = args(production, 'COPY').filter((a) => a.startsWith('--from=build '))
  const sources = copies.map((a) => a.split(/\s+/)[1] as string)
  t.same(sources.sort(), ['/app/dist', '/app/src/storefront'])
  for (const source of sources) {
    t.ok(existsSync(join(ROOT, source.replace(/^\/app\//, ''))),
    `${source} exists after a build`)
  }
  t.ok(existsSync(SERVER_ENTRY), 'dist/src/server.js, the CMD')
  t.ok(args(production, 'COPY').some((a) => /^package\.json package-lock\.json \.\/$/.test(a)),
    'package.json (type: module) and the lock file')
  const ignored = readFileSync(join(ROOT, '.dockerignore'),
    'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  for (const secret of ['.env', 'node_modules', 'dist', '.git']) {
    t.ok(ignored.includes(secret),
    `.dockerignore excludes ${secret}`)
  }
  for (const needed of ['src', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json',
    'tsconfig.build.json']) {
    t.notOk(ignored.includes(needed), `.dockerignore keeps ${needed} (the build needs it)`)
  }
})

t.test('the code the server loads needs production dependencies only', async (t) => {
  await buildDist()
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'),
    'utf8')) as { dependencies: Record<string, string>, peerDependencies: Record<string, string> }
  // fastify is a peer (an application brings its own); npm installs a root's peers, and the image's
  // `npm ci --omit=dev` keeps them as long as the lock file does not mark them dev-only.
  const lock =
    JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
  for (const peer of Object.keys(pkg.peerDependencies)) {
    t.notOk(lock.packages[`node_modules/${peer}`]?.dev,
    `${peer} is not dev-only in the lock file`)
  }
  const production = { ...pkg.dependencies, ...pkg.peerDependencies }
  const seen = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const source = readFileSync(file, 'utf8')
    for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)) {
      const specifier = m[1] as string
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier))
      else if (!isBuiltin(specifier)) {
        packages.add(specifier.startsWith('@')
          ? specifier.split('/').slice(0,
            2).join('/')
          : specifier.split('/')[0] as string)
      }
    }
  }
  visit(SERVER_ENTRY)
  t.ok(seen.size > 10, `${seen.size} files of dist/ reached from the server`)
  t.same([...packages].filter((p) => !(p in production)), [],
    'every imported package is a production or peer dependency')
})

t.test('the HEALTHCHECK uses node, and passes only when /healthz answers 200', async (t) => {
  t.equal(healthcheckCommand(production)[0], 'node')
  const port = await freePort()
  let healthy = true
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/healthz' && healthy ? 200 : 503
    res.end('{}')
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  t.equal(await dockerHealthcheck(port), 0, '200: healthy')
  healthy = false
  t.equal(await dockerHealthcheck(port), 1, '503: unhealthy')
  t.equal(await dockerHealthcheck(await freePort()), 1, 'nothing listening: unhealthy')
})
