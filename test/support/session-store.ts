// Sessions made straight in a session store, as the exchange makes them, for the store tests.
import type { SessionStore } from '../../src/store/contract.js'
import { newSessionId } from '../../src/session/ids.js'
import { agentCodes } from '../../src/lib/user-agent.js'
import { ORIGIN, STORE } from './app.js'
import { nowSeconds } from './tokens.js'

/** The idle timeout the store tests read and write with. */
export const IDLE_MS = 60_000
/** How long a cutoff is kept: the token lifetime plus both clock tolerances, as the service sets it. */
export const TOKEN_LIFETIME_SECONDS = 900 + 120

export interface OpenOptions {
  storeHash?: string
  customerId?: number
  /** The token's iat, seconds (now by default). */
  iat?: number
  maxPerCustomer?: number
  origin?: string
  userAgent?: string
  idleMs?: number
  /** The absolute deadline, ms; an hour ahead (whole seconds, as ids carry it) by default. */
  absoluteAt?: number
}

let fingerprints = 0

/** Creates a session as the exchange does (a fresh token each time); its id, or the store's refusal. */
export async function openSession (store: SessionStore, o: OpenOptions = {}): Promise<string> {
  const { storeHash = STORE, customerId = 4927, iat = nowSeconds(), maxPerCustomer = 10, origin = ORIGIN } = o
  const absoluteAt = o.absoluteAt ?? Math.floor(Date.now() / 1000 + 3600) * 1000
  const sid = newSessionId({ storeHash, customerId, absoluteAt })
  const outcome = await store.exchange({
    sid,
    record: {
      customer: { id: customerId, email: `c${customerId}@example.com`, groupId: null, storeHash },
      origin,
      iat,
      absoluteAt,
      agent: agentCodes(o.userAgent)
    },
    fingerprint: `fp${++fingerprints}`,
    guardTtlMs: 60_000,
    idleMs: o.idleMs ?? IDLE_MS,
    maxPerCustomer
  })
  return outcome === 'created' ? sid : outcome
}

/** Whether a session still reads (a read slides it, as every read does). */
export const isLive =
  async (store: SessionStore, sid: string): Promise<boolean> => (await store.read(sid, IDLE_MS)) !== null

/** The handles a customer's listing shows, created longest ago first. */
export const listedHandles = async (store: SessionStore, customerId: number, storeHash = STORE): Promise<string[]> =>
  (await store.list(storeHash, customerId)).map((s) => s.handle)
