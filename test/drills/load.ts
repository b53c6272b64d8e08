// Concurrent load for the fault drills: exchanges (one new customer each, so no cap interferes) and
// reads of the sessions made so far, every answer timed and tagged with the drill's phase.
import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { ORIGIN } from '../support/app.js'
import { exchange, getSession, sessionCookieOf } from '../support/session.js'
import { token } from '../support/tokens.js'

export type Phase = 'before' | 'fault' | 'after'

export interface Sample {
  phase: Phase,
  kind: 'exchange' | 'read' | 'logout',
  status: number,
  code?: string,
  ms: number,
  startedAt: number
}

export interface Session { cookie: string, customerId: number, ended: boolean }

let nextCustomer = 1

export class Load {
  phase: Phase = 'before'
  readonly samples: Sample[] = []
  readonly sessions: Session[] = []
  /** Tokens refused with 503: the drill can exchange them again once the store is back. */
  readonly refusedTokens: string[] = []
  private running = false
  private workers: Array<Promise<void>> = []

  constructor (private readonly apps: FastifyInstance[],
    private readonly opts: { concurrency?: number, pauseMs?: number, logoutEvery?: number } = {}) {}

  start (): void {
    this.running = true
    const n = this.opts.concurrency ?? 8
    this.workers = Array.from({ length: n }, async (_, i) => await this.worker(i))
  }

  async stop (): Promise<void> {
    this.running = false
    await Promise.all(this.workers)
  }

  private async worker (i: number): Promise<void> {
    let step = 0
    while (this.running) {
      const app = this.apps[(i + step) % this.apps.length] as FastifyInstance
      step++
      const phase = this.phase
      const startedAt = Date.now()
      const live = this.sessions.filter((s) => !s.ended)
      const logout = this.opts.logoutEvery !== undefined && step % this.opts.logoutEvery === 0 && live.length > 0
      if (logout) {
        const session = live[(step * 7 + i) % live.length] as Session
        const res = await app.inject({
          method: 'DELETE',
          url: '/session',
          headers: { origin: ORIGIN, 'x-csrf': '1', cookie: session.cookie }
        })
        if (res.statusCode === 204) session.ended = true
        this.record(phase, 'logout', res.statusCode, res.statusCode >= 400 ? res.json().code : undefined, startedAt)
      } else if (step % 2 === 0 || live.length === 0) {
        const customerId = nextCustomer++
        const jwt = await token({ customerId })
        const res = await exchange(app, jwt)
        if (res.statusCode === 201) {
          this.sessions.push({
            cookie: sessionCookieOf(res) as string,
            customerId,
            ended: false
          })
        }
        if (res.statusCode === 503) this.refusedTokens.push(jwt)
        this.record(phase, 'exchange', res.statusCode, res.statusCode >= 400 ? res.json().code : undefined, startedAt)
      } else {
        const session = live[(step * 13 + i) % live.length] as Session
        const res = await getSession(app, session.cookie)
        this.record(phase, 'read', res.statusCode, res.statusCode >= 400 ? res.json().code : undefined, startedAt)
      }
      await sleep(this.opts.pauseMs ?? 3)
    }
  }

  private record (phase: Phase, kind: Sample['kind'], status: number, code: string | undefined,
    startedAt: number): void {
    this.samples.push({
      phase,
      kind,
      status,
      ...(code !== undefined && { code }),
      ms: Date.now() - startedAt,
      startedAt
    })
  }
}

/** Polls until `ok` holds; returns the milliseconds it took (or throws after `timeoutMs`). */
export async function waitFor (ok: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await ok()) return Date.now() - started
    await sleep(20)
  }
  throw new Error(`condition not met within ${timeoutMs} ms`)
}

export interface DrillRow {
  drill: string
  requests: number
  statuses: Record<number, number>
  faultStatuses: Record<number, number>
  slowestFaultMs: number
  lost: number
  halfWritten: number
  recoveryMs: number
}

/** The short table the drills print. */
export function formatTable (rows: DrillRow[]): string {
  const head = ['drill', 'requests', 'statuses', 'during fault', 'slowest (fault)', 'lost', 'half-written', 'recovery']
  const body = rows.map((r) => [
    r.drill, String(r.requests), fmt(r.statuses), fmt(r.faultStatuses), `${r.slowestFaultMs} ms`, String(r.lost),
    String(r.halfWritten), `${r.recoveryMs} ms`
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n')
}

function fmt (counts: Record<number, number>): string {
  return Object.entries(counts).map(([s, n]) => `${s}:${n}`).join(' ') || '-'
}
