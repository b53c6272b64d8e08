// Fills Redis with sessions as exchanges leave them, without the cost of real exchanges. Key names,
// the member, the value and the TTLs come from the store's own modules, so the fill follows any change
// to the format; Redis only writes them.
import type { Redis } from 'ioredis'
import { keys } from '../../src/store/keys.js'
import { newSessionId } from '../../src/session/ids.js'
import { sessionHandle } from '../../src/store/session-id.js'
import { encodeRecord } from '../../src/store/record-codec.js'

// One script call per batch rather than the commands pipelined: Redis then parses and answers one command
// per batch instead of three per session, most of the fill's time over a million sessions.
// ARGV: session ttl ms, index score, index ttl ms, then per session its key, value, index key and member.
const WRITE = `
local ttl, score, indexTtl = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV, 4 do
  redis.call('SET', ARGV[i], ARGV[i + 1], 'PX', ttl)
  redis.call('ZADD', ARGV[i + 2], score, ARGV[i + 3])
  redis.call('PEXPIRE', ARGV[i + 2], indexTtl)
end
return 1
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

const BATCH = 2000

export async function fillSessions (client: Redis, o: FillOptions): Promise<void> {
  const idleMs = o.idleMs ?? 1_800_000
  const absoluteMs = o.absoluteMs ?? 28_800_000
  for (let done = 0; done < o.count; done += BATCH) {
    const now = Date.now()
    // As an exchange does: whole seconds for the deadline the id carries, a token issued just now.
    const absoluteAt = Math.floor((now + absoluteMs) / 1000) * 1000
    const iat = Math.floor(now / 1000)
    const args: Array<string | number> = [Math.min(idleMs, absoluteAt - now), now, absoluteAt - now]
    const end = o.firstCustomerId + Math.min(o.count, done + BATCH)
    for (let customerId = o.firstCustomerId + done; customerId < end; customerId++) {
      const parts = { storeHash: o.storeHash, customerId, absoluteAt }
      const sid = newSessionId(parts)
      // The customer a minted token names by default (src/dev/mint-token.ts); no agent: the bench's
      // exchanges send no browser's user agent either.
      const email = `customer${customerId}@example.com`
      const customer = { id: customerId, email, groupId: '0', storeHash: o.storeHash }
      const record = encodeRecord({ customer, origin: o.origin, iat, absoluteAt }, now)
      args.push(keys.session(parts, sid), record, keys.index(o.storeHash, customerId), sessionHandle(sid))
    }
    await client.eval(WRITE, 0, ...args)
  }
}
