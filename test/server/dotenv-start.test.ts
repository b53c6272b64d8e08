// `cp .env.example .env`, fill in the change-me values, `npm start`: the server starts from that file as
// copied (its empty values mean "the default"), and exchanges a token signed with the secret it holds.
// As copied, untouched, it refuses to start and names a placeholder variable.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { mintCustomerToken } from '../../src/dev/mint-token.js'
import { freePort } from '../support/redis-server.js'
import { startRedis } from '../support/app.js'
import { buildDist, ROOT, SERVER_ENTRY } from '../support/server-process.js'

const EXAMPLE = readFileSync(join(ROOT, '.env.example'), 'utf8')
const FILLED: Record<string, string> = {
  BC_CLIENT_ID: 'my-app-client-id',
  BC_CLIENT_SECRET: 'my-app-client-secret-0123456789',
  BC_STORE_HASHES: 'abc123',
  ALLOWED_ORIGINS: 'https://store-abc123.mybigcommerce.com',
  SESSION_SECRET: 'a-real-random-session-secret-0123456789abcdef'
}

/** .env.example with each listed variable's line set to the given value, everything else as shipped. */
const fill = (values: Record<string, string>): string =>
  EXAMPLE.split('\n').map((line) => {
    const name = /^([A-Z_]+)=/.exec(line)?.[1]
    return name !== undefined && values[name] !== undefined ? `${name}=${values[name]}` : line
  }).join('\n')

function startIn (t: { teardown: (fn: () => unknown) => void }, dotenv: string, env: Record<string,
  string>): { out: () => string, exited: Promise<number | null> } {
  const cwd = mkdtempSync(join(tmpdir(), 'bcx-dotenv-'))
  writeFileSync(join(cwd, '.env'), dotenv)
  const child = spawn(process.execPath, [SERVER_ENTRY],
    { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += String(d) })
  child.stderr.on('data', (d: Buffer) => { out += String(d) })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => { rmSync(cwd, { recursive: true, force: true }); resolve(code) }))
  t.teardown(async () => { if (child.exitCode === null) child.kill('SIGKILL'); await exited })
  return { out: () => out, exited }
}

t.before(buildDist)

t.test('a .env made from .env.example, placeholders replaced, starts the server', async (t) => {
  const redis = await startRedis(t)
  t.ok(EXAMPLE.includes('\nSESSION_IDLE_TIMEOUT=\n'), 'the example leaves values empty (the default applies)')
  const port = await freePort()
  // What a .env cannot know here: the test's own Redis and a free port, given as the environment.
  const server = startIn(t, fill(FILLED), { REDIS_URL: redis.url, PORT: String(port), HOST: '127.0.0.1' })
  const url = `http://127.0.0.1:${port}`
  // A loaded 2-core machine can take long to load the modules: bounded generously, polled.
  const deadline = Date.now() + 90_000
  let up = false
  while (!up && Date.now() < deadline) {
    up = (await fetch(`${url}/healthz`).catch(() => null))?.status === 200
    if (!up) await sleep(100)
  }
  t.ok(up, `the server answers /healthz: ${server.out().slice(0, 500)}`)
  const jwt = await mintCustomerToken({
    secret: FILLED.BC_CLIENT_SECRET as string,
    clientId: FILLED.BC_CLIENT_ID as string,
    customerId: 4927,
    storeHash: 'abc123'
  })
  const res = await fetch(`${url}/session`, {
    method: 'POST',
    headers: { origin: FILLED.ALLOWED_ORIGINS as string, 'x-csrf': '1', 'content-type': 'text/plain' },
    body: jwt
  })
  t.equal(res.status, 201, 'a token signed with the .env\'s secret is exchanged')
  const idle = (Date.parse((await res.json() as { expires_at: string }).expires_at) - Date.now()) / 1000
  t.ok(idle > 1700 && idle <= 1800, `SESSION_IDLE_TIMEOUT= left empty: its default, 1800 s (${idle})`)
})

t.test('.env.example as copied refuses to start, naming a placeholder variable', async (t) => {
  const server =
    startIn(t, EXAMPLE, { PORT: String(await freePort()), HOST: '127.0.0.1', REDIS_URL: 'redis://127.0.0.1:6399' })
  t.not(await server.exited, 0, 'non-zero exit')
  t.match(server.out(), /configuration refused: BC_CLIENT_ID still holds the placeholder from \.env\.example/)
  t.notMatch(server.out(), /must be integer|is not a whole number/, 'no complaint about the empty values')
})
