// docker-compose.yml, checked without a Docker engine: valid against the Compose Specification's JSON
// schema, and holding what operators rely on (persistence, no eviction, health-gated start, restarts).
import t from 'tap'
import { Ajv } from 'ajv'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ROOT } from '../support/server-process.js'
import { composeFile, type ComposeFile } from './deploy-files.js'

// The Compose Specification's schema as the dclint package ships it (the spec's own compose-spec.json).
const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'dclint', 'schemas', 'compose.schema.json'),
  'utf8')) as { $id: string, title: string }
const draft07 = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'ajv', 'dist', 'refs', 'json-schema-draft-07.json'),
  'utf8')) as object
// Options as dclint itself compiles it: the schema uses keywords ajv's strict mode does not know.
const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true })
// The schema names draft-07 by its https address; ajv knows the meta-schema by the http one.
ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' })
const validate = ajv.compile(schema)

t.test('the schema is the Compose Specification', async (t) => {
  t.equal(schema.$id, 'compose_spec.json')
  t.equal(schema.title, 'Compose Specification')
})

t.test('docker-compose.yml is valid against the Compose Specification', async (t) => {
  const valid = validate(composeFile())
  t.ok(valid, JSON.stringify(validate.errors, null, 2))
})

t.test('the validation has teeth: broken compose files are refused', async (t) => {
  const broken: Array<[string, (c: ComposeFile) => void]> = [
    ['an unknown service key', (c) => { (c.services.exchanger as Record<string, unknown>).restart_policy = 'always' }],
    ['a wrong depends_on condition',
      (c) => { c.services.exchanger.depends_on = { redis: { condition: 'service_ready' } } }],
    ['a health check test that is not a command',
      (c) => { (c.services.redis.healthcheck as Record<string, unknown>).test = 42 }],
    ['a misspelt top-level key', (c) => { (c as unknown as Record<string, unknown>).volume = {} }]
  ]
  for (const [what, change] of broken) {
    const copy = composeFile()
    change(copy)
    t.notOk(validate(copy), what)
  }
})

t.test('Redis: the official image, AOF persistence, no eviction, a health check, a named volume', async (t) => {
  const { services, volumes } = composeFile()
  const redis = services.redis
  t.match(redis.image, /^redis:\d+\.\d+/, 'the official image (no namespace), pinned to a release')
  const args = redis.command as string[]
  const arg = (name: string): string | undefined => args[args.indexOf(name) + 1]
  t.equal(args[0], 'redis-server')
  t.equal(arg('--appendonly'), 'yes')
  t.ok(['always', 'everysec'].includes(arg('--appendfsync') ?? ''), 'appendfsync always or everysec')
  t.equal(arg('--maxmemory-policy'), 'noeviction')
  t.match(arg('--maxmemory'), /^\d+(mb|gb)$/, 'a memory limit, or noeviction never applies')
  const source = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')
  t.match(source, /`always`[^\n]*loses nothing/, 'the appendfsync trade-off is stated')
  t.match(source, /`everysec` loses at most the last second/, 'the appendfsync trade-off is stated')
  t.match(source, /Never evict: an evicted key is a session, a replay guard/, 'the reason for noeviction is stated')
  t.match(redis.healthcheck?.test.join(' '), /redis-cli ping/)
  const [volume, mountPoint] = (redis.volumes?.[0] ?? '').split(':')
  t.equal(mountPoint, '/data', 'the image\'s data directory')
  t.ok(volume !== undefined && volumes !== undefined && volume in volumes, 'a named volume, declared at the top level')
  t.equal(redis.ports, undefined, 'Redis is not published to the host')
})

t.test('the service: built from the Dockerfile, .env, after Redis is healthy, restarted, published', async (t) => {
  const { exchanger } = composeFile().services
  const build = exchanger.build as { context: string, dockerfile: string }
  t.ok(existsSync(join(ROOT, build.context, build.dockerfile)), 'the Dockerfile exists')
  t.equal(exchanger.env_file, '.env')
  t.same(exchanger.depends_on, { redis: { condition: 'service_healthy' } })
  t.ok(['always', 'unless-stopped'].includes(exchanger.restart as string), 'restarted after a crash')
  t.match(exchanger.ports?.[0], /^127\.0\.0\.1:\d+:3000$/,
    'the service\'s 3000 published on this host\'s loopback only')
  t.match(exchanger.environment?.REDIS_URL, /^redis:\/\/redis:6379/, 'Redis by its compose service name')
  t.match(exchanger.stop_grace_period, /^\d+s$/)
  t.ok(Number.parseInt(exchanger.stop_grace_period as string) > 10, 'longer than the 10 s the shutdown may take')
})

t.test('the Redis arguments stay strings for YAML 1.1 parsers too', async (t) => {
  // Quoted "yes" stays a string: YAML 1.1 parsers would read a bare yes as a boolean.
  const doc = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { version: '1.1' }) as ComposeFile
  t.ok((doc.services.redis.command as unknown[]).every((a) => typeof a === 'string'),
    'every Redis argument is a string, even under YAML 1.1')
})

t.test('Compose v1 reads it too: no top-level name, no version-only keys', async (t) => {
  // docker-compose 1.29 (Debian's) refuses a top-level `name:`; `version:` is obsolete in v2.
  const top = Object.keys(composeFile())
  t.same(top.filter((k) => !['services', 'volumes'].includes(k)), [], 'only services and volumes at the top level')
})
