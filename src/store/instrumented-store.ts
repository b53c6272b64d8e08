// Times every store operation and counts session events, without the store knowing about metrics.
import type { Metrics } from '../plugins/metrics.js'
import type { SessionStore } from './session-store.js'

type Op = 'exchange' | 'read' | 'destroy' | 'revokeCustomer' | 'revokeStore' | 'ping'

export function instrumentStore (store: SessionStore, metrics: Metrics): SessionStore {
  async function timed<T> (op: Op, work: () => Promise<T>): Promise<T> {
    const end = metrics.storeOps.startTimer({ op })
    try {
      const result = await work()
      end({ result: 'ok' })
      return result
    } catch (err) {
      end({ result: 'error' })
      throw err
    }
  }
  const revoked = (reason: string) => (n: number): number => {
    metrics.sessions.inc({ event: 'revoked', reason }, n)
    return n
  }
  return {
    kind: store.kind,
    exchange: async (input) => {
      const outcome = await timed('exchange', () => store.exchange(input))
      if (outcome === 'created') metrics.sessions.inc({ event: 'created', reason: 'exchange' })
      return outcome
    },
    read: async (sid, idleMs) => timed('read', () => store.read(sid, idleMs)),
    destroy: async (sid, origin) => {
      const outcome = await timed('destroy', () => store.destroy(sid, origin))
      if (outcome === 'destroyed') metrics.sessions.inc({ event: 'ended', reason: origin === undefined ? 'replaced' : 'logout' })
      return outcome
    },
    revokeCustomer: async (...args) => revoked('customer')(await timed('revokeCustomer', () => store.revokeCustomer(...args))),
    revokeStore: async (...args) => revoked('store')(await timed('revokeStore', () => store.revokeStore(...args))),
    ping: async () => timed('ping', () => store.ping()),
    close: async () => store.close()
  }
}
