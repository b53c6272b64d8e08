// SESSION_MAX_PER_CUSTOMER: a customer keeps at most N live sessions; the one created longest ago (by
// exchange, not by its token's iat) ends first.
import t from 'tap'
import { build, startRedis } from '../support/app.js'
import { sessionKeyCount } from '../support/redis-state.js'
import { getSession, signIn, endSession } from '../support/session.js'

const now = (): number => Math.floor(Date.now() / 1000)

t.test('the oldest session ends first; other customers are untouched', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { SESSION_MAX_PER_CUSTOMER: '3' } })
  const { cookie: other } = await signIn(app, { customerId: 1, iat: now() - 100 })

  const cookies: string[] = []
  for (let i = 0; i < 5; i++) {
    cookies.push((await signIn(app, { iat: now() - 60 + i * 10 })).cookie)
  }
  const statuses = await Promise.all(cookies.map(async (c) => (await getSession(app, c)).statusCode))
  t.same(statuses, [401, 401, 200, 200, 200], 'the two oldest ended')
  t.equal(await redis.client.zcard('bcx:{abc123:4927}:i'), 3, 'the index holds the live ones only')
  t.equal(await sessionKeyCount(redis), 4, 'three of this customer, one of the other')
  t.equal((await getSession(app, other)).statusCode, 200, 'another customer keeps their session')
})

t.test('an ended session frees its place: the cap counts live sessions only', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { SESSION_MAX_PER_CUSTOMER: '3' } })
  const cookies: string[] = []
  for (let i = 0; i < 3; i++) cookies.push((await signIn(app, { iat: now() - 60 + i * 10 })).cookie)
  const [first, second, third] = cookies as [string, string, string]
  t.same(await Promise.all(cookies.map(async (c) => (await getSession(app, c)).statusCode)), [200, 200, 200],
    'three live sessions, at the cap')

  const ended = await endSession(app, second, 'https://store-abc123.mybigcommerce.com')
  t.equal(ended.statusCode, 204)
  const { cookie: fourth } = await signIn(app)
  t.same(await Promise.all([first, second, third, fourth].map(async (c) => (await getSession(app, c)).statusCode)),
    [200, 401, 200, 200])
})

t.test('a session that expired is swept from the index, not counted', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { SESSION_MAX_PER_CUSTOMER: '2' } })
  const { cookie: a } = await signIn(app, { iat: now() - 30 })
  const { cookie: b } = await signIn(app, { iat: now() - 20 })
  // Expire a's key the way Redis would, leaving its index entry (the lowest score: the earliest token).
  const [oldest] = await redis.client.zrange('bcx:{abc123:4927}:i', 0, 0)
  t.equal(await redis.client.del(`bcx:{abc123:4927}:s:${oldest as string}`), 1)
  t.equal(await redis.client.zcard('bcx:{abc123:4927}:i'), 2, 'the stale entry is still there')
  const { cookie: c } = await signIn(app)
  t.same(await Promise.all([a, b, c].map(async (x) => (await getSession(app, x)).statusCode)), [401, 200, 200],
    'b was not ended for a dead entry')
  t.equal(await redis.client.zcard('bcx:{abc123:4927}:i'), 2)
})

t.test('with tokens of decreasing iat, the 11th exchange ends the 1st session (cap 10), not the latest token\'s',
  async (t) => {
    const redis = await startRedis(t)
    const { app, config } = await build(t, { redis })
    t.equal(config.maxSessionsPerCustomer, 10, 'the default cap')
    const start = now()
    const cookies: string[] = []
    // Each token was fetched earlier than the one before (a tab left open), yet exchanged later.
    for (let i = 0; i < 11; i++) cookies.push((await signIn(app, { iat: start - i * 30 })).cookie)
    const reads = await Promise.all(cookies.map(async (c) => await getSession(app, c)))
    t.same(reads.map((r) => r.statusCode), [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
      'the first session created is the one gone')
    t.equal(reads[0]?.json().code, 'BCX_UNAUTHENTICATED')
    t.equal(await redis.client.zcard('bcx:{abc123:4927}:i'), 10, 'the index holds the ten live ones')
    t.equal(await sessionKeyCount(redis), 10)
  })
