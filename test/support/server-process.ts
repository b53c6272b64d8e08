// Runs the service as operators do: `node dist/src/server.js` in its own process, configured by its
// environment alone, from the dist/ that `npm test` builds first.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { CLIENT_ID, CLIENT_SECRET, ORIGIN, SESSION_SECRET, STORE } from './app.js'
import { freePort } from './redis-server.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SERVER_ENTRY = join(ROOT, 'dist', 'src', 'server.js')
const run = promisify(execFile)

/** A complete production configuration, as an operator would give it. */
export const productionEnv = (redisUrl: string): Record<string, string> => ({
  NODE_ENV: 'production',
  BC_CLIENT_ID: CLIENT_ID,
  BC_CLIENT_SECRET: CLIENT_SECRET,
  BC_STORE_HASHES: STORE,
  ALLOWED_ORIGINS: ORIGIN,
  SESSION_SECRET,
  REDIS_URL: redisUrl,
  LOG_LEVEL: 'info'
})

let built: Promise<void> | undefined

/**
 * `npm test` builds dist/ before any test runs, so here this is a check that finds it current. A test
 * file run on its own after an edit rebuilds (scripts/build.mjs --if-stale), once per file, under a
 * lock because test files run in parallel. Type errors are `npm test`'s to report (tsc --noEmit):
 * tsc still emits, and the stamp stays old for a rebuild.
 */
export async function buildDist (): Promise<void> {
  built ??= build()
  await built
}

async function build (): Promise<void> {
  const script = `"${process.execPath}" scripts/build.mjs --if-stale >&2 || true`
  await run('flock', [join(tmpdir(), 'bcx-dist-build.lock'), 'sh', '-c', script],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 })
  if (!existsSync(SERVER_ENTRY)) throw new Error(`scripts/build.mjs did not produce ${SERVER_ENTRY}`)
}

/**
 * How long a server process may take to answer /healthz: generous, because a loaded two-core machine
 * running test files in parallel can take tens of seconds to start node; TEST_START_TIMEOUT_MS overrides it.
 */
export const START_TIMEOUT_MS = Number(process.env.TEST_START_TIMEOUT_MS ?? 90_000)

export interface ServerProcess {
  port: number
  url: string
  child: ChildProcess
  /** Everything written to stdout and stderr so far. */
  stdout (): string
  stderr (): string
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** SIGKILL if still running (teardown). */
  kill (): Promise<void>
}

/** The process environment: only what is given (plus PATH), never the test runner's variables. */
export function spawnServer (env: Record<string, string>): ServerProcess & { cwd: string } {
  // An empty working directory: the server reads `.env` from there, and a developer's must not leak in.
  const cwd = mkdtempSync(join(tmpdir(), 'bcx-server-'))
  const child = spawn(process.execPath, [SERVER_ENTRY],
    { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => { out += String(d) })
  child.stderr?.on('data', (d: Buffer) => { err += String(d) })
  // A test file that dies without its teardown (a timeout) must not leave a server behind.
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit)
      rmSync(cwd, { recursive: true, force: true })
      resolve({ code, signal })
    })
  })
  const port = Number(env.PORT ?? 3000)
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    cwd,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill () {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    }
  }
}

/** Starts the server on a free port and waits until /healthz answers. */
export async function startServer (t: { teardown: (fn: () => unknown) => void }, env: Record<string,
  string>): Promise<ServerProcess> {
  await buildDist()
  const server = spawnServer({ HOST: '127.0.0.1', ...env, PORT: String(await freePort()) })
  t.teardown(() => server.kill())
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`server exited: ${server.stderr()}${server.stdout()}`)
    const res = await fetch(`${server.url}/healthz`).catch(() => null)
    if (res?.status === 200) return server
    await sleep(50)
  }
  throw new Error(`server did not listen within ${START_TIMEOUT_MS} ms: ${server.stderr()}${server.stdout()}`)
}
