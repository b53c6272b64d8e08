// The per-call Redis deadline: the sweep alone (settled calls pass through, hung ones fail once the
// deadline has passed since the call), then the client the service makes against a real, hung
// redis-server: 50 calls made while a batch is in flight each fail within the timeout plus a margin,
// where a plain auto-pipelining ioredis client makes the later ones wait about two timeouts.
import t from 'tap'
import { Redis } from 'ioredis'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { CallDeadline, DeadlineRedis, RedisDeadlineError } from '../../src/store/deadline.js'
import { createRedisClient } from '../../src/plugins/redis.js'
import { isRedisError } from '../../src/lib/redis-errors.js'
import { startRedisServer, type RedisServer } from '../support/redis-server.js'
import { SLACK_MS } from '../support/time-bounds.js'

const TIMEOUT_MS = 1000
// What this refuses: a call queued behind an auto-pipelined batch in flight used to wait nearly two
// timeouts (the control test below measures 1.99 × on a plain client). Our
// per-call deadline is swept at most TIMEOUT_MS / 20 late; the rest of the room is a busy machine's lag.
const BOUND_MS = 1.75 * TIMEOUT_MS

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const never = async (): Promise<never> => await new Promise<never>(() => {})
// The sweep's timer does not keep a process alive (a real client's socket does): this file's own does.
const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => clearInterval(keepAlive))

t.test('CallDeadline: answers pass through; a hung call fails once the deadline has passed since it was made',
  async (t) => {
    const deadline = new CallDeadline(200)
    t.equal(await deadline.track(Promise.resolve('value')), 'value')
    const failure = new Error('from redis')
    await t.rejects(deadline.track(Promise.reject(failure)), failure, 'its own error, unchanged')

    const started = Date.now()
    const outcomes = await Promise.all(Array.from({ length: 100 },
      async () => await deadline.track(never()).then(() => 'answered', (err: Error) => err)))
    const waited = Date.now() - started
    t.ok(outcomes.every((o) => o instanceof RedisDeadlineError), 'every hung call fails with RedisDeadlineError')
    t.match(String((outcomes[0] as Error).message), /^Command timed out/)
    t.ok(isRedisError(outcomes[0]), 'which answers 503 BCX_STORE_UNAVAILABLE')
    t.ok(waited >= 195 && waited < 200 + SLACK_MS, `after ${waited} ms (deadline 200 ms)`)
    t.equal(deadline.pending, 0, 'nothing left waiting')

    const late = deadline.track(sleep(50).then(() => 'late but in time'))
    t.equal(await late, 'late but in time', 'an answer before the deadline wins')
  })

t.test('CallDeadline: calls made later get their own full deadline', async (t) => {
  const deadline = new CallDeadline(300)
  const first = deadline.track(never()).catch(() => Date.now())
  await sleep(200)
  const secondMadeAt = Date.now()
  const second = deadline.track(never()).catch(() => Date.now())
  const [, secondFailedAt] = await Promise.all([first, second])
  t.ok(secondFailedAt - secondMadeAt >= 295,
    `the second call failed ${secondFailedAt - secondMadeAt} ms after it was made`)
})

async function ready (client: Redis): Promise<void> {
  if (client.status !== 'ready') await once(client, 'ready')
}

async function hungServer (t: Test): Promise<RedisServer> {
  const redis = await startRedisServer()
  t.teardown(() => redis.close())
  return redis
}

/** 50 PINGs made 10 ms apart while the server is stopped: ms until each one failed. */
async function fiftyHungPings (client: Redis): Promise<number[]> {
  return await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    await sleep(i * 10)
    const started = Date.now()
    await client.ping().then(() => { throw new Error('a stopped server answered') }, () => {})
    return Date.now() - started
  }))
}

t.test('the service\'s client against a hung redis-server: every one of 50 calls fails within the bound', async (t) => {
  const redis = await hungServer(t)
  const client = createRedisClient({ kind: 'single', url: redis.url }, TIMEOUT_MS) as Redis
  client.on('error', () => {})
  t.teardown(() => client.disconnect())
  t.ok(client instanceof DeadlineRedis)
  await ready(client)
  t.equal(await client.ping(), 'PONG')
  client.defineCommand('bcxTestEcho', { numberOfKeys: 1, lua: 'return KEYS[1]' })
  const scripted = client as Redis & { bcxTestEcho: (key: string) => Promise<string> }
  // As @fastify/rate-limit calls its script: a callback, the returned promise left alone.
  const withCallback = (key: string, cb: (err: Error | null, v?: string) => void): unknown =>
    (scripted.bcxTestEcho as unknown as (key: string, cb: (err: Error | null, v?: string) => void) =>
    unknown).call(client, key, cb)
  t.equal(await scripted.bcxTestEcho('k'), 'k', 'a script defined on the client answers')
  t.equal(await new Promise((resolve) => { withCallback('cb', (err, v) => resolve(err ?? v)) }), 'cb',
    'callback style too')
  t.same(await client.getBuffer('missing'), null, 'Buffer variants answer')

  redis.signal('SIGSTOP')
  const waits = await fiftyHungPings(client)
  const slowest = Math.max(...waits)
  t.ok(slowest <= BOUND_MS, `slowest ${slowest} ms, bound ${BOUND_MS} ms (timeout ${TIMEOUT_MS} ms)`)
  t.ok(Math.min(...waits) >= TIMEOUT_MS - 50, `none failed before the timeout (fastest ${Math.min(...waits)} ms)`)

  // The rate limiter's style: a script with a callback, bounded the same way.
  const started = Date.now()
  const err = await new Promise((resolve) => { withCallback('hung', (e) => resolve(e)) })
  t.ok(err instanceof Error && isRedisError(err), 'the callback hears a Redis error')
  t.ok(Date.now() - started <= BOUND_MS, `after ${Date.now() - started} ms`)
  redis.signal('SIGCONT')
  t.equal(await client.ping(), 'PONG', 'answers again once the server does')
})

t.test('control: a plain auto-pipelining ioredis client makes calls queued behind a batch wait two timeouts',
  async (t) => {
    const redis = await hungServer(t)
    const plain = new Redis(redis.url,
      { enableOfflineQueue: false, commandTimeout: TIMEOUT_MS, maxRetriesPerRequest: 1, enableAutoPipelining: true })
    plain.on('error', () => {})
    t.teardown(() => plain.disconnect())
    await ready(plain)
    t.equal(await plain.ping(), 'PONG')
    redis.signal('SIGSTOP')
    const waits = await fiftyHungPings(plain)
    t.ok(Math.max(...waits) > BOUND_MS, `slowest ${Math.max(...waits)} ms: the bound above catches this`)
    redis.signal('SIGCONT')
  })
