// Types for window.BcSession, the API that /storefront.js (bc-session.js) defines on a storefront page.

/** The signed-in customer, as the service's session holds it. */
export interface BcSessionCustomer {
  id: number
  email: string
  group_id: string | null
  store_hash: string
}

/** The codes the script itself rejects with; the service's own codes (BCX_...) pass through. */
export type BcSessionErrorCode =
  | 'cookies_blocked'
  | 'config_error'
  | 'network_error'
  | 'timeout'
  | 'token_unavailable'
  | 'unexpected_response'
  | 'bad_path'
  | `BCX_${string}`

export interface BcSessionError extends Error {
  name: 'BcSessionError'
  code: BcSessionErrorCode
  /** The HTTP status, when a response caused the error. */
  status?: number
}

/** One session of the signed-in customer, as GET /session/list answers it. */
export interface BcSessionInfo {
  /** Pass to DELETE /session/list/{handle} to end it; not a cookie. */
  handle: string
  created_at: string
  /** Last use, to the minute; null when not known. */
  last_seen_at: string | null
  expires_at: string
  origin: string | null
  /** Browser family ('Chrome', 'Safari', ..., 'Other'), null when not known. */
  browser: string | null
  /** OS family ('Windows', 'iOS', ..., 'Other'), null when not known. */
  os: string | null
  /** The session of this browser. */
  current: boolean
}

export interface BcSession {
  /**
   * The signed-in customer, or null for a guest. Memoised for the page load (it starts as soon as the
   * script runs); after a rejection other than cookies_blocked, calling it again tries again.
   */
  ready (): Promise<BcSessionCustomer | null>
  /**
   * window.fetch against the service (a path such as '/api/me', resolved against the script's origin),
   * with the session cookie and X-CSRF: 1; on a 401 BCX_UNAUTHENTICATED it re-exchanges once and retries once.
   */
  fetch (path: string, init?: RequestInit): Promise<Response>
  /**
   * Ends the service session (DELETE /session); later ready() calls on this page give null. With
   * `everywhere: true`, ends every session of the customer, in every browser (DELETE /session/list?scope=all).
   */
  logout (options?: { everywhere?: boolean }): Promise<void>
  /** Where the customer is signed in, the session created longest ago first; [] for a guest. */
  sessions (): Promise<BcSessionInfo[]>
}

declare global {
  interface Window {
    BcSession: BcSession
  }
  interface WindowEventMap {
    /** Fired once window.BcSession exists, for code that runs before an async-loaded script. */
    'bcsession:loaded': Event
  }
}
