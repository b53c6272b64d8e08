// Making session ids: 256 random bits behind what the id says of itself (store/session-id.ts).
import { randomFillSync } from 'node:crypto'
import { formatSessionId, type SessionIdParts } from '../store/session-id.js'

// Random bytes drawn 8 KiB at a time, as crypto.randomUUID() does, instead of a randomBytes() call per
// id (docs/benchmark.md). Each byte is handed out once.
const pool = Buffer.alloc(32 * 256)
let poolOffset = pool.length

function random256Bits (): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const bits = pool.toString('base64url', poolOffset, poolOffset + 32)
  poolOffset += 32
  return bits
}

export const newSessionId = (parts: SessionIdParts): string => formatSessionId(parts, random256Bits())
