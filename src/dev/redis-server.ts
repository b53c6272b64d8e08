// Throwaway redis-server processes for the tests and the benchmark: loopback only, a data directory of
// their own, no persistence unless the arguments ask for it. A test stops, hangs and restarts them.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

/** A port nothing listens on now (another process may still take it before we do). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export interface RedisServerOptions {
  /** Extra redis-server arguments, after the defaults so that they win: e.g. ['--appendonly', 'yes']. */
  args?: readonly string[]
  /** The port to listen on, e.g. one a service already dials; a free one otherwise. */
  port?: number
  /**
   * How long a start may take. Generous: on a loaded two-core machine spawning a process alone can
   * take seconds, and a restart with an append-only file loads it first.
   */
  startTimeoutMs?: number
  /** Start of the data directory's name, under the system's temporary directory. */
  dirPrefix?: string
}

export interface RedisServer {
  port: number
  /** redis:// URL of database 0. */
  url: string
  dir: string
  /** The running process; start() replaces it. */
  readonly process: ChildProcess
  /** A plain client on database 0 (closed by close()). */
  readonly client: Redis
  /** redis:// URL of database `db`. */
  urlOf (db: number): string
  /** A plain client on database `db`, one per database (closed by close()). */
  clientOf (db: number): Redis
  /** Starts the process again, same port and directory (after stop()). */
  start (): Promise<void>
  /** Stops the process (SIGTERM by default) and waits for it to exit. */
  stop (signal?: NodeJS.Signals): Promise<void>
  /** Sends a signal and does not wait: SIGSTOP hangs the server, SIGCONT resumes it. */
  signal (signal: NodeJS.Signals): void
  /** Called when the process exits without stop() or close() asking for it. */
  onUnexpectedExit (listener: (how: string) => void): void
  close (): Promise<void>
}

// One listener for all servers: a test or a run that dies without its teardown leaves no redis-server behind.
const live = new Set<ChildProcess>()
let exitHookSet = false
function track (proc: ChildProcess): void {
  live.add(proc)
  proc.once('exit', () => live.delete(proc))
  if (exitHookSet) return
  exitHookSet = true
  process.once('exit', () => { for (const p of live) p.kill('SIGKILL') })
}

const hasExited = (proc: ChildProcess): boolean => proc.exitCode !== null || proc.signalCode !== null
const howExited = (proc: ChildProcess): string => proc.signalCode ?? `exit code ${String(proc.exitCode)}`

/**
 * Waits until the server answers PING (not while it still loads its data) and reports this process's
 * pid: a port taken meanwhile by another redis-server must not pass for ours.
 */
async function waitUntilAnswering (proc: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (hasExited(proc)) throw new Error(`redis-server on ${port} exited (${howExited(proc)}) before answering`)
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0
    })
    probe.on('error', () => {})
    try {
      await probe.connect()
      const pong = await probe.ping() === 'PONG'
      if (pong && /^process_id:(\d+)/m.exec(await probe.info('server'))?.[1] === String(proc.pid)) return
    } catch {
      // Not listening yet, or still loading.
    } finally {
      probe.disconnect()
    }
    await sleep(25)
  }
  throw new Error(`redis-server on ${port} did not answer within ${timeoutMs} ms`)
}

export async function launchRedisServer (options: RedisServerOptions = {}): Promise<RedisServer> {
  const { args = [], startTimeoutMs = 60_000, dirPrefix = 'bcx-redis-' } = options
  const port = options.port ?? await freePort()
  const dir = mkdtempSync(join(tmpdir(), dirPrefix))
  const url = `redis://127.0.0.1:${port}`
  const clients = new Map<number, Redis>()
  const exitListeners: Array<(how: string) => void> = []
  let proc: ChildProcess | undefined
  let expectingExit = false
  let paused = false

  const current = (): ChildProcess => {
    if (proc === undefined) throw new Error('redis-server was never started')
    return proc
  }
  const clientOf = (db: number): Redis => {
    let c = clients.get(db)
    if (c === undefined) {
      c = new Redis({ port, host: '127.0.0.1', db, maxRetriesPerRequest: 1, retryStrategy: () => 100 })
      c.on('error', () => {})
      clients.set(db, c)
    }
    return c
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const p = current()
    if (hasExited(p)) return
    expectingExit = true
    const exited = new Promise((resolve) => p.once('exit', resolve))
    p.kill(signal)
    // A hung server holds any signal but SIGKILL until it runs again.
    if (paused && signal !== 'SIGKILL') p.kill('SIGCONT')
    paused = false
    await exited
  }
  const start = async (): Promise<void> => {
    expectingExit = false
    paused = false
    const p = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args
    ], { stdio: 'ignore' })
    proc = p
    track(p)
    p.once('exit', () => {
      if (!expectingExit) for (const listener of exitListeners) listener(howExited(p))
    })
    try {
      await waitUntilAnswering(p, port, startTimeoutMs)
    } catch (err) {
      // A server that never answered (a bad argument, a port taken) must not outlive the caller.
      await stop('SIGKILL')
      throw err
    }
  }

  const server: RedisServer = {
    port,
    url,
    dir,
    get process () { return current() },
    get client () { return clientOf(0) },
    urlOf: (db) => `${url}/${db}`,
    clientOf,
    start,
    stop,
    signal (signal) {
      current().kill(signal)
      if (signal === 'SIGSTOP' || signal === 'SIGCONT') paused = signal === 'SIGSTOP'
    },
    onUnexpectedExit (listener) { exitListeners.push(listener) },
    async close () {
      for (const c of clients.values()) c.disconnect()
      clients.clear()
      if (proc !== undefined) await stop('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }
  try {
    await start()
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return server
}
