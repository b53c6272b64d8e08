// The service under test, in its own process so its CPU time and memory can be read apart from the
// load generator's. Started by service.ts with fork(); talks over IPC.
import { readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { anchorApp, type AnchorMode } from './anchors.js'
import type { ServiceReply, ServiceRequest, ServiceStats } from './service.js'

type Counted = { sendCommand: (command: { name: string }, ...rest: unknown[]) => unknown }

async function main (): Promise<void> {
  const [mode = 'service', envJson = '{}'] = process.argv.slice(2)
  const env = JSON.parse(envJson) as Record<string, string>
  const anchor = mode !== 'service'
  const app = anchor
    ? anchorApp(mode as AnchorMode)
    : buildApp(loadConfig(env), { logger: { level: env.LOG_LEVEL ?? 'warn' } })
  await app.ready()

  // Counts what the service sends to Redis (top-level commands; a script's own calls are Redis's business).
  const commands: Record<string, number> = {}
  const redis = anchor ? null : app.redis as unknown as Counted | null
  if (redis !== null) {
    const send = redis.sendCommand.bind(redis)
    redis.sendCommand = (command, ...rest) => {
      commands[command.name] = (commands[command.name] ?? 0) + 1
      return send(command, ...rest)
    }
  }

  await app.listen({ host: '127.0.0.1', port: 0 })
  // Requests the server received: the denominator of CPU time and Redis commands per request.
  let served = 0
  app.server.on('request', () => { served++ })
  const { port } = app.server.address() as { port: number }

  // Read and write system calls so far (Linux): a count that CPU contention from other processes cannot blur.
  const syscalls = (): { reads: number, writes: number } => {
    try {
      const io = readFileSync('/proc/self/io', 'utf8')
      return { reads: Number(/syscr: (\d+)/.exec(io)?.[1] ?? NaN), writes: Number(/syscw: (\d+)/.exec(io)?.[1] ?? NaN) }
    } catch {
      return { reads: NaN, writes: NaN }
    }
  }

  const stats = (gc: boolean): ServiceStats => {
    if (gc) (globalThis as { gc?: () => void }).gc?.()
    const { rss, heapUsed } = process.memoryUsage()
    return { cpu: process.cpuUsage(), rss, heapUsed, served, syscalls: syscalls(), commands: { ...commands } }
  }

  // The V8 CPU profiler (what node --cpu-prof runs), around the measured run only: no start-up in it.
  const inspector = new Session()
  const profiler = {
    async start () {
      inspector.connect()
      await inspector.post('Profiler.enable')
      await inspector.post('Profiler.setSamplingInterval', { interval: 100 })
      await inspector.post('Profiler.start')
    },
    async stop (path: string) {
      const { profile } = await inspector.post('Profiler.stop')
      writeFileSync(path, JSON.stringify(profile))
      inspector.disconnect()
    }
  }

  process.on('message', (message: ServiceRequest) => {
    const reply = (body: Omit<ServiceReply, 'id'>): void => { process.send?.({ id: message.id, ...body }) }
    const fail = (err: Error): void => reply({ error: err.message })
    if (message.type === 'stats') reply({ stats: stats(message.gc === true) })
    if (message.type === 'profile-start') profiler.start().then(() => reply({}), fail)
    if (message.type === 'profile-stop') profiler.stop(message.path as string).then(() => reply({}), fail)
    if (message.type === 'close') {
      app.close().then(() => {
        reply({})
        // Exit normally so --cpu-prof writes its profile.
        process.disconnect()
      }, fail)
    }
  })
  process.send?.({ id: 0, port })
}

main().catch((err: Error) => {
  process.send?.({ id: 0, error: err.stack ?? err.message })
  process.exitCode = 1
  process.disconnect?.()
})
