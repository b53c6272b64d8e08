// The token that the merchant page's "sign out every shopper" form carries. The page is opened inside
// the control panel's iframe, where third-party cookies are often blocked, so no cookie can prove the
// POST comes from it. Instead the page, rendered only from a verified signed payload, carries a
// short-lived token naming its store: a forged form on another site has no such token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Long enough to read the page and press the button; short enough that a leaked page goes stale soon. */
export const FORM_TOKEN_TTL_SECONDS = 15 * 60

const FORM_TOKEN = /^([A-Za-z0-9]{1,64})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/

export interface FormTokenCodec {
  issue (storeHash: string): string
  /** The store and nonce of a genuine token that has not expired; null otherwise. */
  verify (token: unknown): { storeHash: string, nonce: string, expiresAt: number } | null
}

/**
 * Keys derived from the session secrets with a label of their own, so that a form token's MAC can never
 * stand for a cookie's signature, which the same secrets make. The first secret signs; all verify.
 */
export function createFormTokenCodec (sessionSecrets: readonly string[], now: () => number = Date.now): FormTokenCodec {
  const keys = sessionSecrets.map((secret) => createHmac('sha256', secret).update('bcx app form token v1').digest())
  const mac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest()

  return {
    issue (storeHash) {
      const expiresAt = Math.floor(now() / 1000) + FORM_TOKEN_TTL_SECONDS
      const text = `${storeHash}.${expiresAt.toString(36)}.${randomBytes(16).toString('base64url')}`
      return `${text}.${mac(keys[0] as Buffer, text).toString('base64url')}`
    },

    verify (token) {
      if (typeof token !== 'string') return null
      const m = FORM_TOKEN.exec(token)
      if (m === null) return null
      const [, storeHash, exp36, nonce, signature] = m as unknown as [string, string, string, string, string]
      const text = `${storeHash}.${exp36}.${nonce}`
      const given = Buffer.from(signature, 'base64url')
      if (!keys.some((key) => timingSafeEqual(mac(key, text), given))) return null
      const expiresAt = parseInt(exp36, 36)
      if (!(expiresAt > now() / 1000)) return null
      return { storeHash, nonce, expiresAt }
    }
  }
}
