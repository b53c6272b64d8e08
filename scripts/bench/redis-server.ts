// A throwaway redis-server on a free loopback port for the benchmark (no persistence).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

export interface BenchRedis {
  port: number
  /** redis:// URL of database `db`. */
  url (db?: number): string
  /** A client on database `db` for the bench's own commands (closed by close()). */
  client (db?: number): Redis
  /** Called if redis-server stops before close() (a benchmark without its Redis is void). */
  onUnexpectedExit (listener: (how: string) => void): void
  close (): Promise<void>
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

async function waitForPing (client: Redis, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if (await client.ping() === 'PONG') return
    } catch {
      await sleep(25)
    }
  }
  throw new Error('redis-server did not start')
}

export async function startBenchRedis (): Promise<BenchRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'bcx-bench-redis-'))
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  const clients = new Map<number, Redis>()
  let closing = false
  const exitListeners: Array<(how: string) => void> = []
  proc.once('exit', (code, signal) => {
    if (!closing) for (const l of exitListeners) l(signal ?? `exit code ${String(code)}`)
  })
  const client = (db = 0): Redis => {
    let c = clients.get(db)
    if (c === undefined) {
      c = new Redis({ port, host: '127.0.0.1', db, maxRetriesPerRequest: 1, retryStrategy: () => 50 })
      c.on('error', () => {})
      clients.set(db, c)
    }
    return c
  }
  await waitForPing(client())
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    client,
    onUnexpectedExit (listener) { exitListeners.push(listener) },
    async close () {
      closing = true
      for (const c of clients.values()) c.disconnect()
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve))
        proc.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
