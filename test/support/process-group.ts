// The redis-server processes and clients of one test topology, with one teardown for all of them.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'

export interface ProcessGroup {
  dir: string
  processes: ChildProcess[]
  clients: Redis[]
  close (): Promise<void>
}

export function processGroup (prefix: string): ProcessGroup {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const processes: ChildProcess[] = []
  const clients: Redis[] = []
  // A test that dies without its teardown must not leave redis-server processes behind.
  const killAll =
    (): void => { for (const p of processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL') }
  process.once('exit', killAll)
  return {
    dir,
    processes,
    clients,
    async close () {
      for (const c of clients) c.disconnect()
      await Promise.all(processes.map(async (p) => {
        if (p.exitCode !== null || p.signalCode !== null) return
        const exited = new Promise((resolve) => p.once('exit', resolve))
        p.kill('SIGKILL')
        await exited
      }))
      process.removeListener('exit', killAll)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * Polls `check` until it holds; throws naming `what` after `timeoutMs`. Generous: Sentinel looks at its
 * master every 10 s, so finding a replica can take most of that, more on a loaded machine.
 */
export async function until (what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await sleep(50)
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`)
}
