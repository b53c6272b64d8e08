// What compose would run, run here without an engine: redis-server with compose's exact arguments, and
// the service process (dist/, as the image runs it) with compose's environment against it.
import t from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { mintCustomerToken } from '../../src/dev/mint-token.js'
import { freePort } from '../support/redis-server.js'
import { startServer } from '../support/server-process.js'
import { composeFile, composeServiceEnv, REAL_VALUES } from './deploy-files.js'
import { dockerHealthcheck } from './dockerfile.js'

const { redis: redisService, exchanger } = composeFile().services
const redisArgs = (redisService.command as string[]).slice(1)
const dataDir = mkdtempSync(join(tmpdir(), 'bcx-compose-redis-'))
const redisPort = await freePort()
let redisProcess: ChildProcess | undefined
const clients: Redis[] = []
t.teardown(() => { for (const c of clients) c.disconnect() })
process.once('exit', () => redisProcess?.kill('SIGKILL'))
t.teardown(async () => {
  await stopRedis()
  rmSync(dataDir, { recursive: true, force: true })
})

/** compose's arguments, then only where to listen; the working directory stands in for the volume at /data. */
async function startRedis (): Promise<Redis> {
  redisProcess = spawn('redis-server', [...redisArgs, '--port', String(redisPort), '--bind', '127.0.0.1'],
    { cwd: dataDir, stdio: 'ignore' })
  const client = new Redis({
    port: redisPort,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50
  })
  client.on('error', () => {})
  clients.push(client)
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (await client.ping().catch(() => null) === 'PONG') return client
    await sleep(50)
  }
  throw new Error('redis-server with the compose arguments did not start')
}

async function stopRedis (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const p = redisProcess
  if (p === undefined || p.exitCode !== null || p.signalCode !== null) return
  const exited = new Promise((resolve) => p.once('exit', resolve))
  p.kill(signal)
  await exited
}

/** Runs compose's Redis health check command as written, with redis-cli pointed at our port. */
function redisHealthcheck (): number {
  const [kind, command] = redisService.healthcheck?.test ?? []
  if (kind !== 'CMD-SHELL' || command === undefined) throw new Error('expected a CMD-SHELL health check')
  const shim = mkdtempSync(join(tmpdir(), 'bcx-redis-cli-'))
  const real = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).stdout.trim()
  writeFileSync(join(shim, 'redis-cli'), `#!/bin/sh\nexec ${real} -p ${redisPort} "$@"\n`)
  chmodSync(join(shim, 'redis-cli'), 0o755)
  const { status } =
    spawnSync('sh', ['-c', command], { env: { PATH: `${shim}:${process.env.PATH ?? ''}` }, timeout: 5000 })
  rmSync(shim, { recursive: true, force: true })
  return status ?? -1
}

const client = await startRedis()

t.test('redis-server takes compose\'s command line as is', async (t) => {
  const config = async (name: string): Promise<string | undefined> => (await client.config('GET', name) as string[])[1]
  t.equal(await config('appendonly'), 'yes')
  t.equal(await config('appendfsync'), redisArgs[redisArgs.indexOf('--appendfsync') + 1])
  t.equal(await config('maxmemory-policy'), 'noeviction')
  t.equal(await config('maxmemory'), String(256 * 1024 * 1024))
  t.equal(await config('save'), '', 'no RDB snapshots besides the AOF')
  t.equal(redisHealthcheck(), 0, 'compose\'s health check passes')
})

t.test('the service with compose\'s environment against it: exchange, read, health check, persistence', async (t) => {
  // compose's environment, with only the addresses a container network would give changed to this machine's.
  const redisUrl = String(exchanger.environment?.REDIS_URL).replace('redis:6379', `127.0.0.1:${redisPort}`)
  const env = composeServiceEnv({ REDIS_URL: redisUrl })
  t.equal(env.NODE_ENV, 'production')
  const { HOST: _host, PORT: _port, ...rest } = env
  const server = await startServer(t, rest)
  const origin = REAL_VALUES.ALLOWED_ORIGINS as string

  const jwt = await mintCustomerToken({
    secret: REAL_VALUES.BC_CLIENT_SECRET as string,
    clientId: REAL_VALUES.BC_CLIENT_ID as string,
    customerId: 4927,
    storeHash: REAL_VALUES.BC_STORE_HASHES as string
  })
  const created = await fetch(`${server.url}/session`,
    { method: 'POST', headers: { origin, 'x-csrf': '1', 'content-type': 'text/plain' }, body: jwt })
  t.equal(created.status, 201)
  const cookie = (created.headers.getSetCookie()[0] as string).split(';', 1)[0] as string
  const read =
    async (): Promise<Response> => await fetch(`${server.url}/session`, { headers: { origin, 'x-csrf': '1', cookie } })
  const first = await read()
  t.equal(first.status, 200)
  t.equal((await first.json() as { customer: { id: number } }).customer.id, 4927)
  t.equal(await dockerHealthcheck(server.port), 0, 'the Dockerfile\'s HEALTHCHECK passes against it')

  // noeviction at work: with memory full, an exchange is refused (503) and existing sessions stay readable.
  await client.config('SET', 'maxmemory', '1')
  const refused = await fetch(`${server.url}/session`, {
    method: 'POST',
    headers: { origin, 'x-csrf': '1', 'content-type': 'text/plain' },
    body: await mintCustomerToken({
      secret: REAL_VALUES.BC_CLIENT_SECRET as string,
      clientId: REAL_VALUES.BC_CLIENT_ID as string,
      customerId: 5,
      storeHash: REAL_VALUES.BC_STORE_HASHES as string
    })
  })
  t.equal(refused.status, 503)
  t.equal((await refused.json() as { code: string }).code, 'BCX_STORE_UNAVAILABLE')
  t.equal((await read()).status, 200, 'the existing session is still readable')
  await client.config('SET', 'maxmemory', '256mb')

  // The AOF: Redis killed outright and started again from the same directory (the volume) keeps the session.
  t.ok(readdirSync(dataDir).some((f) => f.startsWith('appendonly')),
    'the append-only file is written to the data directory')
  await stopRedis('SIGKILL')
  t.equal(redisHealthcheck(), 1, 'compose\'s health check fails while Redis is down')
  await startRedis()
  const deadline = Date.now() + 10_000
  let status = 0
  while (Date.now() < deadline && (status = (await read()).status) !== 200) await sleep(100)
  t.equal(status, 200, 'the session survived the restart')
  t.ok(existsSync(dataDir))
})
