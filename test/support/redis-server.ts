// Starts real redis-server processes on free ports, so tests can stop, hang and restart them.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

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

export interface RedisServer {
  port: number
  url: string
  dir: string
  process: ChildProcess
  /** A plain client for assertions (closed at teardown). */
  client: Redis
  start (): Promise<void>
  /** Stops the process (SIGTERM by default) and waits for it to exit. */
  stop (signal?: NodeJS.Signals): Promise<void>
  signal (signal: NodeJS.Signals): void
  close (): Promise<void>
}

async function waitForPing (port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    probe.on('error', () => {})
    try {
      await probe.connect()
      if (await probe.ping() === 'PONG') return
    } catch {
      await sleep(25)
    } finally {
      probe.disconnect()
    }
  }
  throw new Error(`redis-server on ${port} did not start`)
}

/** `args`: extra redis-server arguments, e.g. ['--appendonly', 'yes', '--appendfsync', 'always']. */
export async function startRedisServer (args: string[] = [], port?: number): Promise<RedisServer> {
  const p = port ?? await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'bcx-redis-'))
  const server: RedisServer = {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    dir,
    process: undefined as unknown as ChildProcess,
    client: undefined as unknown as Redis,
    async start () {
      this.process = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], { stdio: 'ignore' })
      try {
        await waitForPing(p)
      } catch (err) {
        // A server that never answered (a bad argument, a password) must not outlive the test.
        this.process.kill('SIGKILL')
        throw err
      }
    },
    async stop (signal = 'SIGTERM') {
      const proc = this.process
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      proc.kill(signal)
      await exited
    },
    signal (signal) { this.process.kill(signal) },
    async close () {
      this.client.disconnect()
      if (this.process.signalCode === 'SIGSTOP') this.process.kill('SIGCONT')
      await this.stop('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }
  await server.start()
  server.client = new Redis({ port: p, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 100 })
  server.client.on('error', () => {})
  return server
}
