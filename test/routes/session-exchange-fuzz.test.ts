// Property-based fuzzing of POST /session: bodies, headers and tokens (random, mutations of valid
// tokens including the variants jose tolerates, validly signed tokens with a broken claim).
// Invariant: a 4xx in our error shape, never a 5xx, never a Set-Cookie that sets a session, and
// nothing written to or removed from Redis. Replay a run with FUZZ_SEED=<seed> (FUZZ_RUNS to scale).
import t from 'tap'
import fc from 'fast-check'
import { build, startRedis } from '../support/app.js'
import { errorShapeProblem, tally } from '../support/responses.js'
import { getSession, settingCookies, signIn } from '../support/session.js'
import { token } from '../support/tokens.js'
import { exchangeRequest } from '../support/arbitraries.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000)
const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() ^ (Math.random() * 2 ** 31)))

t.test(`POST /session: ${RUNS} fuzzed requests never open a session`, async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { RATE_LIMIT_EXCHANGE: '0', LOG_LEVEL: 'silent' } })
  // Exchanged before the run: every textual variant of these must now be a replay.
  const exchanged: string[] = []
  const cookies: string[] = []
  for (const customerId of [4927, 4928, 4929]) {
    const jwt = await token({ customerId })
    cookies.push((await signIn(app, { jwt })).cookie)
    exchanged.push(jwt)
  }
  const baseline = await redis.client.dbsize()
  const statuses: number[] = []
  const codes: string[] = []
  t.comment(`fast-check seed ${SEED} (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`)

  const result = await fc.check(fc.asyncProperty(exchangeRequest(exchanged, cookies), async ({ payload, headers }) => {
    const before = await redis.client.dbsize()
    const res = await app.inject({ method: 'POST', url: '/session', headers, payload })
    statuses.push(res.statusCode)
    const problem = res.statusCode < 400 || res.statusCode >= 500
      ? `status ${res.statusCode}: ${res.body.slice(0, 200)}`
      : errorShapeProblem(res) ??
        (settingCookies(res).length > 0 ? `sets a cookie: ${settingCookies(res).join(' | ')}` : null)
    if (problem === null) codes.push(res.json().code)
    const size = await redis.client.dbsize()
    if (problem !== null || size !== before) throw new Error(problem ?? `Redis changed: ${before} keys, now ${size}`)
  }), { numRuns: RUNS, seed: SEED })

  if (result.failed) t.fail(fc.defaultReportMessage(result) ?? 'property failed')
  else t.pass(`${result.numRuns} requests held the invariant`)
  t.comment(`statuses ${JSON.stringify(tally(statuses))}`)
  t.comment(`codes ${JSON.stringify(Object.fromEntries(Object.entries(tally(codes)).sort()))}`)
  t.ok(new Set(codes).size >= 8, 'the run reached many distinct refusals (not stuck at one gate)')
  t.equal(await redis.client.dbsize(), baseline, 'Redis holds what it held before the run')
  for (const cookie of cookies) {
    t.equal((await getSession(app, cookie)).statusCode, 200,
      'the sessions made before the run still work')
  }
})
