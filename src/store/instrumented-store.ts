// Times every store operation and counts session events, without the store knowing about metrics.
import type { Counter, Histogram } from 'prom-client'
import type { SessionStore } from './contract.js'

/** What the wrapper records to: the metrics plugin's histogram and counter. */
export interface StoreMetrics {
  storeOps: Pick<Histogram<'op' | 'result'>, 'observe'>
  sessions: Pick<Counter<'event' | 'reason'>, 'inc'>
}

// The `op` label's values: what dashboards and alerts query, kept when a method is renamed.
type Op = 'exchange' | 'read' | 'destroy' | 'revokeCustomer' | 'revokeStore' | 'ping' | 'list' | 'endByHandle' |
  'endSessions'

export function instrumentStore (store: SessionStore, metrics: StoreMetrics): SessionStore {
  // A plain promise chain, no startTimer: this wraps every read, the hot path.
  function timed<T> (op: Op, work: () => Promise<T>): Promise<T> {
    const start = performance.now()
    const observe = (result: 'ok' | 'error'): void => {
      metrics.storeOps.observe({ op, result }, (performance.now() - start) / 1000)
    }
    return work().then((value) => {
      observe('ok')
      return value
    }, (err: unknown) => {
      observe('error')
      throw err
    })
  }
  const revoked = (reason: string) => (n: number): number => {
    metrics.sessions.inc({ event: 'revoked', reason }, n)
    return n
  }
  return {
    exchange: async (input) => {
      const outcome = await timed('exchange', () => store.exchange(input))
      if (outcome === 'created') metrics.sessions.inc({ event: 'created', reason: 'exchange' })
      return outcome
    },
    read: async (sid, idleMs) => timed('read', () => store.read(sid, idleMs)),
    destroy: async (sid, origin) => {
      const outcome = await timed('destroy', () => store.destroy(sid, origin))
      if (outcome === 'destroyed') {
        metrics.sessions.inc({ event: 'ended', reason: origin === undefined ? 'replaced' : 'logout' })
      }
      return outcome
    },
    revokeCustomerSessions: async (...args) =>
      revoked('customer')(await timed('revokeCustomer', () => store.revokeCustomerSessions(...args))),
    revokeStoreSessions: async (...args) =>
      revoked('store')(await timed('revokeStore', () => store.revokeStoreSessions(...args))),
    list: async (...args) => timed('list', () => store.list(...args)),
    endByHandle: async (...args) => {
      const ended = await timed('endByHandle', () => store.endByHandle(...args))
      if (ended) metrics.sessions.inc({ event: 'ended', reason: 'logout' })
      return ended
    },
    endSessions: async (...args) => {
      const n = await timed('endSessions', () => store.endSessions(...args))
      metrics.sessions.inc({ event: 'ended', reason: 'logout' }, n)
      return n
    },
    ping: async () => timed('ping', () => store.ping()),
    close: async () => store.close()
  }
}
