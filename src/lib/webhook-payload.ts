// The BigCommerce webhook payload, checked strictly: what the webhook route acts on, or why it refuses.
import { isRecord } from './is-record.js'
import { storeHashOfContext } from './store-hash.js'

export interface WebhookEvent {
  scope: string
  storeHash: string
  /** Seconds since the epoch, BigCommerce's clock; the same on every retry of a delivery. */
  createdAt: number
  /** data.id when it is a positive integer (the customer of store/customer/* events). */
  dataId: number | null
}

export type ParsedWebhook = { ok: true, event: WebhookEvent } | { ok: false, reason: string }

export function parseWebhookPayload (raw: Buffer): ParsedWebhook {
  let body: unknown
  try {
    body = JSON.parse(raw.toString('utf8'))
  } catch {
    return { ok: false, reason: 'not JSON' }
  }
  if (!isRecord(body)) return { ok: false, reason: 'not an object' }
  const { scope, producer, created_at: createdAt, data } = body
  if (typeof scope !== 'string' || scope.length === 0 || scope.length > 200) return { ok: false, reason: 'scope' }
  const storeHash = typeof producer === 'string' ? storeHashOfContext(producer) : null
  if (storeHash === null) return { ok: false, reason: 'producer is not stores/<hash>' }
  const validCreatedAt = typeof createdAt === 'number' && Number.isSafeInteger(createdAt) && createdAt > 0
  if (!validCreatedAt) return { ok: false, reason: 'created_at' }
  const id = isRecord(data) ? data.id : undefined
  const dataId = typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null
  return { ok: true, event: { scope, storeHash, createdAt, dataId } }
}
