// Property-based fuzzing of the cookie on GET /session and GET /api/me: random values, mutations of
// a valid signed value, ids signed with the wrong secret or pointing nowhere. Invariant: 401 in our
// error shape, or 200 only for the real cookie (textually, or as its percent-decoded equal); never
// a 5xx, never a Set-Cookie that sets a session, nothing written to Redis.
// Replay a run with FUZZ_SEED=<seed> (FUZZ_RUNS to scale).
import t from 'tap'
import fc from 'fast-check'
import { createHmac } from 'node:crypto'
import { build, startRedis, COOKIE_NAME, ORIGIN, OTHER_ORIGIN } from '../support/app.js'
import { errorShapeProblem, tally } from '../support/responses.js'
import { settingCookies, signIn } from '../support/session.js'
import { cookieHeader } from '../support/arbitraries.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000)
const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() ^ (Math.random() * 2 ** 31)))

t.test(`GET /session: ${RUNS} fuzzed cookies never open another session`, async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { LOG_LEVEL: 'silent' } })
  const { cookie: pair } = await signIn(app)
  const value = pair.slice(COOKIE_NAME.length + 1)
  const sid = app.unsignCookie(decodeURIComponent(value)).value as string
  const [store, customer, abs, random] = sid.split('.') as [string, string, string, string]
  const signWith = (secret: string, v: string): string =>
      `${v}.${createHmac('sha256', secret).update(v).digest('base64').replace(/=+$/, '')}`
  const signedWrong = [
    signWith('another-session-secret-0123456789abcdef', sid),
    sid,
    app.signCookie(`${store}.${customer}.${abs}.${'A'.repeat(43)}`),
    app.signCookie(`${store}.${customer}.${(parseInt(abs, 36) + 1).toString(36)}.${random}`),
    app.signCookie(`${store}.4928.${abs}.${random}`),
    app.signCookie(`xyz789.${customer}.${abs}.${random}`),
    app.signCookie(`${store}.${customer}.${abs}.${random}.extra`),
    app.signCookie(''),
    app.signCookie('s:' + sid)
  ]
  const before = await redis.client.dbsize()
  const request = fc.record({
    cookie: cookieHeader(COOKIE_NAME, value, signedWrong),
    url: fc.constantFrom('/session', '/api/me'),
    origin: fc.constantFrom(ORIGIN, undefined, OTHER_ORIGIN)
  })
  const statuses: number[] = []
  t.comment(`fast-check seed ${SEED} (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`)

  const result = await fc.check(fc.asyncProperty(request, async ({ cookie, url, origin }) => {
    const res = await app.inject({
      method: 'GET',
      url,
      headers: { 'x-csrf': '1', cookie, ...(origin !== undefined && { origin }) }
    })
    statuses.push(res.statusCode)
    const parsed = app.parseCookie(cookie)[COOKIE_NAME]
    const real = parsed !== undefined && app.unsignCookie(parsed).value === sid
    let problem: string | null = null
    if (res.statusCode === 200) {
      if (!real || origin === OTHER_ORIGIN) problem = `200 for a cookie that is not the real one (${String(parsed)})`
      else if (res.json().customer.id !== 4927) problem = 'another customer'
    } else if (res.statusCode === 401) {
      const code = String(res.json().code)
      problem = errorShapeProblem(res) ?? (code === 'BCX_UNAUTHENTICATED' ? null : `code ${code}`)
      if (problem === null && real && origin !== OTHER_ORIGIN) problem = '401 for the real cookie'
    } else {
      problem = `status ${res.statusCode}: ${res.body.slice(0, 200)}`
    }
    if (problem === null && settingCookies(res).length > 0) {
      problem = `sets a cookie: ${settingCookies(res).join(' | ')}`
    }
    const size = await redis.client.dbsize()
    if (problem !== null || size !== before) throw new Error(problem ?? `Redis changed: ${before} keys, now ${size}`)
  }), { numRuns: RUNS, seed: SEED })

  if (result.failed) t.fail(fc.defaultReportMessage(result) ?? 'property failed')
  else t.pass(`${result.numRuns} requests held the invariant`)
  const counts = tally(statuses)
  t.comment(`statuses ${JSON.stringify(counts)}`)
  t.ok((counts[401] ?? 0) > RUNS / 2, 'most fuzzed cookies were refused')
})
