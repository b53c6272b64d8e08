// Session ids and their handles: live sessions are found by them, so their layout must not drift.
import t from 'tap'
import { createHash } from 'node:crypto'
import { newSessionId } from '../../src/session/ids.js'
import { parseSessionId, sessionHandle } from '../../src/store/session-id.js'

const parts = { storeHash: 'abc123', customerId: 4927, absoluteAt: 1_800_000_000_000 }

t.test('sessionHandle is the first 96 bits of sha256(sid), base64url', async (t) => {
  const sids = Array.from({ length: 200 }, () => newSessionId(parts))
  t.same(sids.map(sessionHandle),
    sids.map((sid) => createHash('sha256').update(sid).digest().subarray(0, 12).toString('base64url')))
  t.equal(sessionHandle('x'), 'LXEWQrcmsEQBYnyp', 'a fixed value, so a change of the layout is seen')
})

t.test('session ids: 256 random bits each, never handed out twice, and they parse back', async (t) => {
  const seen = new Set<string>()
  // Several refills of the random pool (256 ids each).
  const sids = Array.from({ length: 2000 }, () => newSessionId(parts))
  for (const sid of sids) seen.add(sid.split('.')[3] as string)
  t.equal(seen.size, sids.length, 'no two alike')
  t.ok([...seen].every((r) => Buffer.from(r, 'base64url').length === 32), '32 bytes each')
  t.ok(sids.every((sid) => JSON.stringify(parseSessionId(sid)) === JSON.stringify(parts)),
    'each parses back to its parts')
})
