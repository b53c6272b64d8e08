// Parent side of service-process.ts: fork it, ask it for its CPU time, memory and Redis command counts.
import { fork, type ChildProcess } from 'node:child_process'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AnchorMode } from './anchors.js'

export interface ServiceStats {
  cpu: NodeJS.CpuUsage
  rss: number
  heapUsed: number
  /** Requests received since the service started. */
  served: number
  /** read and write system calls since it started (NaN where /proc/self/io is missing). */
  syscalls: { reads: number, writes: number }
  /** Commands the service sent to Redis, by name, since it started. */
  commands: Record<string, number>
}

export interface ServiceRequest {
  id: number
  type: 'stats' | 'close' | 'profile-start' | 'profile-stop'
  gc?: boolean
  path?: string
}
export interface ServiceReply { id: number, port?: number, stats?: ServiceStats, error?: string }

export interface BenchService {
  url: string
  pid: number
  stats (opts?: { gc?: boolean }): Promise<ServiceStats>
  /** Starts the V8 CPU profiler in the service. */
  startProfile (): Promise<void>
  /** Stops it and writes the .cpuprofile to `path`. */
  stopProfile (path: string): Promise<void>
  close (): Promise<void>
  kill (): void
}

export interface StartServiceOptions {
  /** One of the anchors instead of the service (anchors.ts). */
  mode?: 'service' | AnchorMode
  env?: Record<string, string>
  /** Another build's service-process.js (an older dist/, to compare builds in one run). */
  entry?: string
}

// Same folder, same extension as this module: .js when compiled, .ts under tap (fork inherits its loader).
const ownEntry = fileURLToPath(new URL(`./service-process${extname(fileURLToPath(import.meta.url))}`, import.meta.url))

export async function startService (opts: StartServiceOptions = {}): Promise<BenchService> {
  const { mode = 'service', env = {}, entry = ownEntry } = opts
  const execArgv = [...process.execArgv, '--expose-gc']
  const child: ChildProcess = fork(entry, [mode, JSON.stringify(env)],
    { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const pending = new Map<number, (reply: ServiceReply) => void>()
  let nextId = 1
  child.on('message', (reply: ServiceReply) => {
    pending.get(reply.id)?.(reply)
    pending.delete(reply.id)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ask = async (type: ServiceRequest['type'], extra: Partial<ServiceRequest> = {}): Promise<ServiceReply> => {
    const id = nextId++
    const answer = new Promise<ServiceReply>((resolve, reject) => {
      pending.set(id, resolve)
      exited.then(() => reject(new Error('the service process exited')), () => {})
    })
    child.send({ ...extra, id, type } satisfies ServiceRequest)
    const reply = await answer
    if (reply.error !== undefined) throw new Error(`the service failed: ${reply.error}`)
    return reply
  }

  const started = await new Promise<ServiceReply>((resolve, reject) => {
    pending.set(0, resolve)
    child.once('exit', (code) => reject(new Error(`the service process exited (${String(code)}) before listening`)))
  })
  if (started.error !== undefined || started.port === undefined) {
    child.kill('SIGKILL')
    throw new Error(`the service did not start: ${started.error ?? 'no port'}`)
  }
  return {
    url: `http://127.0.0.1:${started.port}`,
    pid: child.pid as number,
    async stats (opts = {}) {
      const reply = await ask('stats', opts)
      return reply.stats as ServiceStats
    },
    async startProfile () { await ask('profile-start') },
    async stopProfile (path) { await ask('profile-stop', { path }) },
    async close () {
      if (child.exitCode !== null || child.signalCode !== null) return
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await ask('close').catch(() => {})
      await exited
      clearTimeout(timer)
    },
    kill () { child.kill('SIGKILL') }
  }
}

/** Every service process one run starts, so that all are closed at its end whatever happens. */
export interface ServiceGroup {
  start (opts?: StartServiceOptions): Promise<BenchService>
  closeAll (): Promise<void>
  /** At once, without asking: the run is void (its Redis died). */
  killAll (): void
}

export function serviceGroup (): ServiceGroup {
  const running: BenchService[] = []
  return {
    async start (opts) {
      const service = await startService(opts)
      running.push(service)
      return service
    },
    async closeAll () { await Promise.all(running.map(async (s) => await s.close())) },
    killAll () { for (const s of running) s.kill() }
  }
}
