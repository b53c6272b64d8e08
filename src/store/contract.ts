// The contract between the routes and a session store (Redis, or in-process for development).
import type { Customer } from '../customer.js'
import type { AgentCodes } from '../lib/user-agent.js'

export interface SessionRecord {
  customer: Customer
  /** The storefront origin that exchanged the token; the session is visible to it alone. */
  origin: string
  /** The token's iat (seconds, BigCommerce's clock): revocations compare against it. */
  iat: number
  /** Absolute deadline, ms since the epoch: never extended. */
  absoluteAt: number
  /** Browser and OS family of the exchange (user-agent.ts); unknown when absent. */
  agent?: AgentCodes
}

/**
 * What a read gives back. Redis keeps only what the signed session id does not carry: the customer's
 * email and group, a hash of the origin (`originTag` in session-id.ts) and the token's iat (for revocations).
 */
export interface StoredSession {
  customer: Customer
  /** `originTag(origin)` of the storefront origin that exchanged the token. */
  originTag: string
  absoluteAt: number
  /** Browser and OS family codes (user-agent.ts). */
  agent: AgentCodes
  /** Minute (ms since the epoch / 60000) of the last use; null for a value written before it was kept. */
  lastSeenMinute: number | null
}

/** One session of a customer, as a listing shows it. */
export interface ListedSession {
  /** The session's member in its customer's index: opaque, and no way back to the session id. */
  handle: string
  createdAt: number
  /** Start of the minute of the last use; null when not known. */
  lastSeenAt: number | null
  /** When the session ends if not used again (idle deadline, capped by the absolute one). */
  expiresAt: number
  /** The origin that exchanged it; null when the store no longer knows the text of its tag. */
  origin: string | null
  agent: AgentCodes
}

export interface ExchangeInput {
  sid: string
  record: SessionRecord
  /** Token fingerprint for the single-use guard. */
  fingerprint: string
  /** How long the guard must live: until the token can no longer verify. */
  guardTtlMs: number
  idleMs: number
  maxPerCustomer: number
}

export type ExchangeOutcome = 'created' | 'replayed' | 'revoked'
export type DestroyOutcome = 'destroyed' | 'missing' | 'foreign'

/**
 * Which sessions a revocation ends. `'issued'`: those whose token was issued at or before the cutoff
 * (BigCommerce's created_at: a token issued after the event stays good). `'all'`: every live one, whatever
 * its token's iat (an admin's revocation: a token may carry an iat up to JWT_CLOCK_TOLERANCE ahead, so a
 * cutoff of "now" alone would spare its session).
 */
export type RevokedSessions = 'issued' | 'all'

export interface SessionStore {
  /**
   * Revocation check, single-use guard, per-customer cap and the new session, atomically per customer.
   * The cap ends the session created longest ago (exchange order), whatever its token's iat.
   */
  exchange (input: ExchangeInput): Promise<ExchangeOutcome>
  /** Reads a live session and slides its idle deadline, in one step; null when there is none. */
  read (sid: string, idleMs: number): Promise<{ record: StoredSession, expiresAt: number } | null>
  /** Ends a session; with `origin`, only when the session belongs to that origin. */
  destroy (sid: string, origin?: string): Promise<DestroyOutcome>
  /**
   * Refuses the customer's tokens issued at or before `cutoff` (s) from now on, and ends their sessions:
   * those from such tokens (`'issued'`, the default) or every live one (`'all'`). Returns how many ended.
   */
  revokeCustomerSessions (
    storeHash: string,
    customerId: number,
    cutoff: number,
    sessions?: RevokedSessions
  ): Promise<number>
  /** The same for a whole store. */
  revokeStoreSessions (storeHash: string, cutoff: number, sessions?: RevokedSessions): Promise<number>
  /** The customer's live sessions, created longest ago first. */
  list (storeHash: string, customerId: number): Promise<ListedSession[]>
  /** Ends the customer's session with that handle, atomically with the index; false when there is none. */
  endByHandle (storeHash: string, customerId: number, handle: string): Promise<boolean>
  /**
   * Ends every session of the customer but the one with handle `keep` (all of them without it). Returns
   * how many ended.
   */
  endSessions (storeHash: string, customerId: number, keep?: string): Promise<number>
  ping (): Promise<void>
  close (): Promise<void>
}
