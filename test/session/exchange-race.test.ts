// Ten concurrent exchanges of one token, split over two instances: exactly one session, every round;
// the same when the ten are textual variants of the token.
import t from 'tap'
import { build, startRedis } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { tally } from '../support/responses.js'
import { getSession, sessionCookieOf, postSession } from '../support/session.js'
import { token, spareBitVariants } from '../support/tokens.js'

const ROUNDS = 20

t.test('ten concurrent exchanges of one token: one 201, nine 409', async (t) => {
  const redis = await startRedis(t)
  const a = await build(t, { redis })
  const b = await build(t, { redis })
  const all: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const customerId = 1 + round
    const jwt = await token({ customerId })
    // Half the rounds race ten copies of one text; the others the token and its variants.
    const texts = round % 2 === 0
      ? Array.from({ length: 10 }, () => jwt)
      : [jwt, ...spareBitVariants(jwt), jwt,
          ...spareBitVariants(jwt), jwt, jwt, jwt].slice(0, 10)
    const answers = await Promise.all(texts.map(async (text, i) =>
      await postSession(i % 2 === 0 ? a.app : b.app, { payload: JSON.stringify({ token: text }) })))
    const statuses = answers.map((r) => r.statusCode)
    all.push(...statuses)
    const winners = answers.filter((r) => r.statusCode === 201)
    t.equal(winners.length, 1, `round ${round}: exactly one 201 (${JSON.stringify(tally(statuses))})`)
    t.ok(answers.every((r) => r.statusCode === 201 || r.json().code === 'BCX_TOKEN_REPLAYED'),
      'the others: BCX_TOKEN_REPLAYED')
    t.ok(answers.filter((r) => r.statusCode !== 201).every((r) => r.headers['set-cookie'] === undefined),
      'the losers get no cookie')
    t.equal((await redis.client.keys(`bcx:{abc123:${customerId}}:s:*`)).length, 1, 'one session key')
    t.equal(await redis.client.zcard(`bcx:{abc123:${customerId}}:i`), 1, 'one index entry')
    t.equal((await getSession(a.app, sessionCookieOf(winners[0] as never))).statusCode, 200, 'and it works')
  }
  t.equal(await sessionKeyCount(redis), ROUNDS)
  t.comment(`statuses: ${JSON.stringify(tally(all))}`)
})
