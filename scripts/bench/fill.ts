// Fills Redis with sessions the way exchanges leave them (record + index entry, same key layout and
// TTLs), without the cost of real exchanges: a million of them in seconds.
import type { Redis } from 'ioredis'
import { originTag } from '../../src/session/ids.js'

// The member stands for the 96-bit hash of a session id (16 base64url characters): part of a sha1 hex.
// The record is the store's compact value (record-codec.ts): origin tag, group "0", email.
const FILL = `
local store, otag, first, count = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local idle, absolute, iat, absAt = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
for cid = first, first + count - 1 do
  local tag = 'bcx:{' .. store .. ':' .. cid .. '}'
  local member = string.sub(redis.sha1hex('bcx-bench-' .. cid), 1, 16)
  local record = otag .. 's1:0customer' .. cid .. '@example.com'
  redis.call('SET', tag .. ':s:' .. member, record, 'PX', idle)
  redis.call('ZADD', tag .. ':i', iat, member)
  redis.call('PEXPIRE', tag .. ':i', absolute)
end
return count
`

export interface FillOptions {
  storeHash: string
  origin: string
  /** Customer ids first .. first + count - 1, one session each. */
  firstCustomerId: number
  count: number
  idleMs?: number
  absoluteMs?: number
}

export async function fillSessions (client: Redis, o: FillOptions): Promise<void> {
  const idleMs = o.idleMs ?? 1_800_000
  const absoluteMs = o.absoluteMs ?? 28_800_000
  const iat = Math.floor(Date.now() / 1000)
  const absAt = Math.floor(Date.now() / 1000 + absoluteMs / 1000) * 1000
  const batch = 5000
  for (let done = 0; done < o.count; done += batch) {
    const n = Math.min(batch, o.count - done)
    await client.eval(FILL, 0, o.storeHash, originTag(o.origin), o.firstCustomerId + done, n, idleMs, absoluteMs, iat, absAt)
  }
}
