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
  /** Ends the service session (DELETE /session); later ready() calls on this page give null. */
  logout (): Promise<void>
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
