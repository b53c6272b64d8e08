// Logout cannot be undone by a request in flight: readers keep GET /session requests outstanding on
// two instances (two Redis connections) while one DELETE /session lands among them, over many
// rounds; afterwards the key is gone and the cookie gets 401, every time.
import t from 'tap'
import { build, startRedis } from '../support/app.js'
import { tally } from '../support/responses.js'
import { getSession, signIn, endSession } from '../support/session.js'

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 50)
const READERS = 8

t.test(`${READERS} readers racing DELETE /session, ${ROUNDS} rounds`, async (t) => {
  const redis = await startRedis(t)
  const a = await build(t, { redis })
  const b = await build(t, { redis })
  const statuses: number[] = []
  let failures = 0
  let readsAfterDeleteSawSession = 0

  for (let round = 0; round < ROUNDS; round++) {
    const customerId = 1 + round
    const { cookie } = await signIn(a.app, { customerId })
    const [key] = await redis.client.keys(`bcx:{abc123:${customerId}}:s:*`)
    let ok = 0
    let deletedAt: number | null = null

    async function reader (i: number): Promise<void> {
      // Keep reading until a read that started after the DELETE answered has come back.
      for (;;) {
        const startedAt = Date.now()
        const afterDelete = deletedAt !== null
        const status = (await getSession(i % 2 === 0 ? a.app : b.app, cookie)).statusCode
        statuses.push(status)
        if (status === 200) ok++
        if (afterDelete && status === 200) readsAfterDeleteSawSession++
        if (afterDelete && startedAt > (deletedAt as number)) return
      }
    }
    async function logout (): Promise<number> {
      // The DELETE goes out at a different moment each round, always with reads in flight.
      const target = 1 + (round % 12)
      for (;;) {
        if (ok >= target) break
        await new Promise((resolve) => setImmediate(resolve))
      }
      const res = await endSession(b.app, cookie)
      deletedAt = Date.now()
      return res.statusCode
    }
    const [deleted] = await Promise.all([logout(), ...Array.from({ length: READERS }, async (_, i) => await reader(i))])

    const exists = await redis.client.exists(key as string)
    const after = await getSession(a.app, cookie)
    const indexed = await redis.client.zcard(`bcx:{abc123:${customerId}}:i`)
    if (deleted !== 204 || exists !== 0 || after.statusCode !== 401 || indexed !== 0) {
      failures++
      t.fail(`round ${round}: delete=${deleted}, key exists=${exists}, read after=${after.statusCode}, ` +
        `index=${indexed}`)
    }
  }
  t.equal(failures, 0, 'every round: key gone, index empty, cookie 401')
  t.equal(readsAfterDeleteSawSession, 0, 'no read started after the DELETE answered saw the session')
  const counts = tally(statuses)
  t.comment(`reads over ${ROUNDS} rounds: ${JSON.stringify(counts)}`)
  t.same(Object.keys(counts).sort(), ['200', '401'], 'reads answered 200 before and 401 after, nothing else')
})
