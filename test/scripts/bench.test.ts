// The benchmark's building blocks, briefly, against a real service process and redis-server: the
// figures must be sane (no speed is asserted: the machine is shared).
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { anchorCookies } from '../../scripts/bench/anchors.js'
import { fillSessions } from '../../scripts/bench/fill.js'
import { getexLatency, sessionKeyOfCookie } from '../../scripts/bench/latency.js'
import { runLoad } from '../../scripts/bench/load.js'
import { measureRun } from '../../scripts/bench/measure.js'
import { measureMemoryPerSession } from '../../scripts/bench/memory.js'
import { placeOf, summarizeProfile } from '../../scripts/bench/profile.js'
import { median, medianRatio } from '../../scripts/bench/report.js'
import { oneOf, SCENARIO_KEYS, SERVICE_PATHS } from '../../scripts/bench/scenarios.js'
import { startService } from '../../scripts/bench/service.js'
import { BENCH, benchEnv, exchangeAll, exchangeHeaders, mintTokens } from '../../scripts/bench/sessions.js'
import { benchSettings } from '../../scripts/bench/settings.js'
import { launchRedisServer } from '../../src/dev/redis-server.js'
import { ORIGIN_TAG_LENGTH, originTag } from '../../src/store/session-id.js'
import { decodeRecord } from '../../src/store/record-codec.js'

const brief = { connections: 4, seconds: 1 }

t.test('a short benchmark against a real service reports sane figures', async (t) => {
  const redis = await launchRedisServer()
  t.teardown(() => redis.close())
  const service = await startService({ env: benchEnv(redis.urlOf(0)) })
  t.teardown(() => service.close())
  const client = redis.clientOf(0)

  await exchangeAll(service.url, await mintTokens(5, 1))
  let cookies: string[] = []
  const tokens = await mintTokens(200, 100)
  t.equal(new Set(tokens).size, 200, 'distinct tokens')
  const memory = await measureMemoryPerSession(client, 200, async () => {
    cookies = await exchangeAll(service.url, tokens, 4)
  })
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

  const readLoad = { path: '/session', headers: { origin: BENCH.origin, 'x-csrf': '1' }, cookies }
  const read = await measureRun(service, client, readLoad, brief)
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
  const post = await measureRun(service, client,
    { method: 'POST', path: '/session', headers: exchangeHeaders, bodies }, brief)
  t.ok(post.requests > 0 && post.requests <= 100, `exchanges: ${post.requests}`)
  t.ok((post.sent.evalsha ?? 0) + (post.sent.eval ?? 0) > 0, 'an exchange runs the exchange script')
  if (!post.exhausted) t.equal(post.failures, 0)

  const before = await client.dbsize()
  await fillSessions(client, { storeHash: BENCH.store, origin: BENCH.origin, firstCustomerId: 10_000_000, count: 2000 })
  t.equal(await client.dbsize() - before, 4000, 'a filled session is a record and an index, like an exchange\'s')
  const [filledKey] = await client.keys('bcx:{abc123:10000000}:s:*') as [string]
  const filled = await client.get(filledKey) as string
  const exchanged = await client.get(sessionKeyOfCookie(cookies[0] as string)) as string
  t.equal(filled.charAt(ORIGIN_TAG_LENGTH), exchanged.charAt(ORIGIN_TAG_LENGTH), 'the kind of value an exchange writes')
  // The service's own codec reads it: the fill lays out what an exchange leaves.
  t.match(decodeRecord(filled, { storeHash: BENCH.store, customerId: 10_000_000, absoluteAt: 0 }), {
    customer: { id: 10_000_000, email: 'customer10000000@example.com', groupId: '0', storeHash: BENCH.store },
    originTag: originTag(BENCH.origin),
    lastSeenMinute: Number
  })
  const score = await client.zscore('bcx:{abc123:10000000}:i', filledKey.slice(filledKey.lastIndexOf(':') + 1))
  t.ok(Math.abs(Number(score) - Date.now()) < 600_000, 'the index entry scored by creation time in ms')
  const ttl = await client.pttl(filledKey)
  t.ok(ttl > 0 && ttl <= 1_800_000, 'the record lives for the idle timeout')

  const latency = await getexLatency(client, cookies.map(sessionKeyOfCookie), 200)
  t.ok(latency.p50 > 0 && latency.p99 >= latency.p50)

  const dir = mkdtempSync(join(tmpdir(), 'bcx-bench-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await service.startProfile()
  await measureRun(service, client, readLoad, brief)
  await service.stopProfile(join(dir, 'read.cpuprofile'))
  const profile = summarizeProfile(join(dir, 'read.cpuprofile'))
  t.ok(profile.totalMs > 0 && profile.byPlace.length > 0 && profile.byFunction.length > 0)
  // Found by their file, no list of names: the service's own functions, each with its total time.
  t.ok(profile.ours.length > 0, 'the service\'s own functions show in the profile')
  t.ok(profile.ours.every((s) => / src\/\S+:\d+$/.test(s.name)), 'each named with its file under src/ and its line')
  t.ok(profile.ours.every((s, i, all) => i === 0 || (all[i - 1] as typeof s).ms >= s.ms), 'the heaviest first')

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
  const refused = await fetch(`${jwt.url}/whoami`, { headers: { authorization: `Bearer ${forged}` } })
  t.equal(refused.status, 401, 'a bad signature is refused')

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
  t.equal(placeOf('file:///x/dist/src/session/rules.js', 'load'), 'src/session/rules.js')
  t.equal(placeOf('node:internal/crypto/hash', 'Hash'), 'node:crypto/hash')
  t.equal(placeOf('', '(garbage collector)'), '(garbage collector)')
})

t.test('scenario keys and options are checked before anything starts', async (t) => {
  t.same(SERVICE_PATHS, ['healthz', 'session', 'me', 'post', 'post256'], 'the service\'s own paths, anchors apart')
  t.same(SCENARIO_KEYS.filter((k) => !SERVICE_PATHS.some((p) => p === k)), ['bare', 'jwt', 'cookie'])
  t.equal(oneOf('profile', 'me', SERVICE_PATHS), 'me')
  t.throws(() => oneOf('profile', 'sesion', SERVICE_PATHS),
    { message: '--profile takes one of healthz, session, me, post, post256, not "sesion"' })

  t.match(benchSettings({ quick: true }), { seconds: 2, rounds: 1, connections: 50, pool: 200, bigSessions: 100_000 })
  t.match(benchSettings({ seconds: '0.5', rounds: '8', connections: '100', sessions: '2000000' }),
    { quick: false, seconds: 0.5, rounds: 8, connections: 100, pool: 1000, bigSessions: 2_000_000 })
  t.throws(() => benchSettings({ seconds: 'ten' }), { message: '--seconds takes a positive number, not "ten"' })
  t.throws(() => benchSettings({ rounds: '1.5' }), { message: '--rounds takes a positive whole number, not "1.5"' })
  t.throws(() => benchSettings({ connections: '0' }), /--connections takes a positive whole number/)
  t.throws(() => benchSettings({ quick: true, sessions: '200' }),
    { message: '--sessions must be more than the read pool (200)' })

  // The command line refuses an unknown path at once, naming the known ones, before it starts any process.
  const cli = fileURLToPath(new URL('../../scripts/bench.ts', import.meta.url))
  const child = spawn(process.execPath, [...process.execArgv, cli, '--profile', 'sesion'],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.equal(code, 2)
  t.match(stderr, /^--profile takes one of healthz, session, me, post, post256, not "sesion"\nUsage: npm run bench -- /)
})
