// The benchmark's building blocks, briefly, against a real service process and redis-server: the
// figures must be sane (no speed is asserted: the machine is shared).
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { anchorCookies } from '../../scripts/bench/anchors.js'
import { fillSessions } from '../../scripts/bench/fill.js'
import { getexLatency, sessionKeyOfCookie } from '../../scripts/bench/latency.js'
import { runLoad } from '../../scripts/bench/load.js'
import { measureRun } from '../../scripts/bench/measure.js'
import { measureMemoryPerSession } from '../../scripts/bench/memory.js'
import { placeOf, summarizeProfile } from '../../scripts/bench/profile.js'
import { startBenchRedis } from '../../scripts/bench/redis-server.js'
import { median, medianRatio } from '../../scripts/bench/report.js'
import { startService } from '../../scripts/bench/service.js'
import { BENCH, benchEnv, exchangeAll, exchangeHeaders, mintTokens } from '../../scripts/bench/sessions.js'
import { originTag } from '../../src/session/ids.js'
import { decodeRecord } from '../../src/store/record-codec.js'

const brief = { connections: 4, seconds: 1 }

t.test('a short benchmark against a real service reports sane figures', async (t) => {
  const redis = await startBenchRedis()
  t.teardown(() => redis.close())
  const service = await startService({ env: benchEnv(redis.url(0)) })
  t.teardown(() => service.close())
  const client = redis.client(0)

  await exchangeAll(service.url, await mintTokens(5, 1))
  let cookies: string[] = []
  const tokens = await mintTokens(200, 100)
  t.equal(new Set(tokens).size, 200, 'distinct tokens')
  const memory =
    await measureMemoryPerSession(client, 200, async () => { cookies = await exchangeAll(service.url, tokens, 4) })
  t.equal(cookies.length, 200)
  t.equal(new Set(cookies).size, 200, 'one session per exchange')
  t.ok(cookies.every((c) => c.startsWith(`${BENCH.cookieName}=`)))
  t.same(memory.keysPerExchange, { session: 1, index: 1, guard: 1 },
    'each exchange leaves a record, an index and a guard')
  t.ok(memory.sessionBytes > 100 && memory.sessionBytes < 2000, `bytes per session: ${memory.sessionBytes}`)
  // A few hundred exchanges are too few for the guard's share (Redis's tables grow in steps): sanity only.
  t.ok(Math.abs(memory.guardBytes) < 1000, `bytes per guard: ${memory.guardBytes}`)
  t.ok(memory.sampled.session > 0 && memory.sampled.index > 0 && memory.sampled.guard > 0)
  t.equal(await client.keys('bcx:*:g:*').then((k) => k.length), 5,
    'the measured guards were removed to count them apart')

  const read = await measureRun(service, client,
    { path: '/session', headers: { origin: BENCH.origin, 'x-csrf': '1' }, cookies }, brief)
  t.equal(read.failures, 0, 'every read answered 200')
  t.ok(read.requests > 0 && read.rps > 0)
  t.ok(read.served >= read.requests, 'the service saw at least the answered requests')
  t.ok(read.p50 >= 0 && read.p99 >= read.p50)
  t.ok(read.cpuUsPerRequest > 0)
  t.same(Object.keys(read.sent), ['getex'], 'a read sends GETEX and nothing else')
  t.ok(Math.abs(read.sentPerRequest - 1) < 0.05, `one command per read: ${read.sentPerRequest}`)
  t.ok(Math.abs(read.executedPerRequest - 1) < 0.05, `Redis ran one command per read: ${read.executedPerRequest}`)
  if (Number.isFinite(read.syscallsPerRequest)) t.ok(read.syscallsPerRequest > 0)

  const health = await measureRun(service, client, { path: '/healthz' }, brief)
  t.equal(health.failures, 0)
  t.equal(health.sentPerRequest, 0, '/healthz sends nothing to Redis')

  const bodies = (await mintTokens(100, 5000)).map((token) => JSON.stringify({ token }))
  const post =
    await measureRun(service, client, { method: 'POST', path: '/session', headers: exchangeHeaders, bodies }, brief)
  t.ok(post.requests > 0 && post.requests <= 100, `exchanges: ${post.requests}`)
  t.ok((post.sent.evalsha ?? 0) + (post.sent.eval ?? 0) > 0, 'an exchange runs the exchange script')
  if (!post.exhausted) t.equal(post.failures, 0)

  const before = await client.dbsize()
  await fillSessions(client, { storeHash: BENCH.store, origin: BENCH.origin, firstCustomerId: 10_000_000, count: 2000 })
  t.equal(await client.dbsize() - before, 4000, 'a filled session is a record and an index, like an exchange\'s')
  const filled = await client.get((await client.keys('bcx:{abc123:10000000}:s:*'))[0] as string)
  // The service's own codec reads it: the fill lays out what an exchange leaves.
  t.match(decodeRecord(filled as string, { storeHash: BENCH.store, customerId: 10_000_000, absoluteAt: 0 }),
    {
      customer: { id: 10_000_000, email: 'customer10000000@example.com', groupId: '0' },
      originTag: originTag(BENCH.origin)
    })

  const latency = await getexLatency(client, cookies.map(sessionKeyOfCookie), 200)
  t.ok(latency.p50 > 0 && latency.p99 >= latency.p50)

  const dir = mkdtempSync(join(tmpdir(), 'bcx-bench-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await service.startProfile()
  await measureRun(service, client, { path: '/session', headers: { origin: BENCH.origin, 'x-csrf': '1' }, cookies },
    brief)
  await service.stopProfile(join(dir, 'read.cpuprofile'))
  const profile = summarizeProfile(join(dir, 'read.cpuprofile'), ['load'])
  t.ok(profile.totalMs > 0 && profile.byPlace.length > 0)
  t.ok(profile.watched.some((s) => s.name === 'load'), 'the session load shows in the profile')

  const stats = await service.stats({ gc: true })
  t.ok(stats.rss > 0 && stats.heapUsed > 0)
})

t.test('the bare Fastify anchor answers without Redis', async (t) => {
  const bare = await startService({ mode: 'bare' })
  t.teardown(() => bare.close())
  const res = await fetch(`${bare.url}/healthz`)
  t.equal(res.status, 200)
  t.same(await res.json(), { status: 'ok' })
})

t.test('the stateless anchors know the caller, and only a real one', async (t) => {
  const [jwt, cookie] = await Promise.all([startService({ mode: 'jwt' }), startService({ mode: 'secure-session' })])
  t.teardown(() => Promise.all([jwt.close(), cookie.close()]))
  const [token] = await mintTokens(1, 42) as [string]
  const verified = await fetch(`${jwt.url}/whoami`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(verified.status, 200)
  t.match(await verified.json(), { customer: { id: 42 } })
  const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
  t.equal((await fetch(`${jwt.url}/whoami`, { headers: { authorization: `Bearer ${forged}` } })).status, 401,
    'a bad signature is refused')

  const [c1, c2] = await anchorCookies(cookie.url, 2) as [string, string]
  t.not(c1, c2)
  const who = await fetch(`${cookie.url}/whoami`, { headers: { cookie: c2 } })
  t.equal(who.status, 200)
  t.match(await who.json(), { customer: { id: 2 } })
  t.equal((await fetch(`${cookie.url}/whoami`)).status, 401, 'no cookie, no customer')

  // The load generator rotates values through any header: every request carries a valid token.
  const tokens = (await mintTokens(20, 100)).map((t) => `Bearer ${t}`)
  const run = await runLoad(jwt.url, { path: '/whoami', rotateHeader: 'authorization', cookies: tokens }, brief)
  t.ok(run.requests > 0)
  t.equal(run.failures, 0, 'every request answered 200')
})

t.test('report and profile helpers', async (t) => {
  t.equal(median([3, 1, 2]), 2)
  t.equal(median([4, 1, 2, 3]), 2.5)
  const run = (rps: number) => ({ rps }) as Parameters<typeof medianRatio>[0][number]
  t.equal(medianRatio([run(50), run(60), run(10)], [run(100), run(100), run(100)], (m) => m.rps), 0.5)
  t.equal(placeOf('file:///x/node_modules/@fastify/cors/index.js', 'handleCors'), '@fastify/cors')
  t.equal(placeOf('file:///x/dist/src/session/sessions.js', 'load'), 'src/session/sessions.js')
  t.equal(placeOf('node:internal/crypto/hash', 'Hash'), 'node:crypto/hash')
  t.equal(placeOf('', '(garbage collector)'), '(garbage collector)')
})
