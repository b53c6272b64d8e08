// Start-up with a configured Redis that is not there yet: the process listens and stays up, /healthz
// answers 200, /readyz and session calls 503 BCX_STORE_UNAVAILABLE at once, and it serves as soon as
// Redis starts, with no restart.
import t from 'tap'
import { sign } from '@fastify/cookie'
import { setTimeout as sleep } from 'node:timers/promises'
import { COOKIE_NAME, ORIGIN, SESSION_SECRET, STORE } from '../support/app.js'
import { token } from '../support/tokens.js'
import { newSessionId } from '../../src/session/ids.js'
import { freePort, startRedisServer } from '../support/redis-server.js'
import { productionEnv, startServer } from '../support/server-process.js'
import { SLACK_MS } from '../support/time-bounds.js'

async function timed (url: string,
  init?: RequestInit): Promise<{ status: number, body: { code?: string }, ms: number }> {
  const started = Date.now()
  const res = await fetch(url, init)
  const body = await res.json() as { code?: string }
  return { status: res.status, body, ms: Date.now() - started }
}

const exchangeInit = async (): Promise<RequestInit> => ({
  method: 'POST',
  headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'application/json' },
  body: JSON.stringify({ token: await token() })
})

t.test('no Redis yet: listens, /healthz 200, 503 quickly elsewhere; serves once Redis starts', async (t) => {
  const redisPort = await freePort()
  const server = await startServer(t, productionEnv(`redis://127.0.0.1:${redisPort}`))

  const health = await timed(`${server.url}/healthz`)
  t.equal(health.status, 200)

  const ready = await timed(`${server.url}/readyz`)
  t.equal(ready.status, 503)
  t.equal(ready.body.code, 'BCX_STORE_UNAVAILABLE')
  t.ok(ready.ms < 2000 + SLACK_MS, `/readyz answered in ${ready.ms} ms`)

  const exchanged = await timed(`${server.url}/session`, await exchangeInit())
  t.equal(exchanged.status, 503)
  t.equal(exchanged.body.code, 'BCX_STORE_UNAVAILABLE')
  t.ok(exchanged.ms < 2000 + SLACK_MS, `POST /session answered in ${exchanged.ms} ms`)

  // A well-signed cookie, so that the read reaches the store.
  const sid = newSessionId({ storeHash: STORE, customerId: 4927, absoluteAt: Date.now() + 3_600_000 })
  const cookie = `${COOKIE_NAME}=${encodeURIComponent(sign(sid, SESSION_SECRET))}`
  const read = await timed(`${server.url}/session`, { headers: { origin: ORIGIN, 'x-csrf': '1', cookie } })
  t.equal(read.status, 503)
  t.equal(read.body.code, 'BCX_STORE_UNAVAILABLE')
  t.ok(read.ms < 2000 + SLACK_MS, `GET /session answered in ${read.ms} ms`)
  t.equal(server.child.exitCode, null, 'the process is still up')

  // Said once at start-up, not only as 503s: Redis does not answer.
  const warnedBy = Date.now() + 60_000
  while (!server.stdout().includes('redis does not answer') && Date.now() < warnedBy) await sleep(100)
  t.match(server.stdout(), /"level":40[^\n]*redis does not answer 5 s after start: session calls answer 503 until it does/, 'a start-up warning')

  const redis = await startRedisServer([], redisPort)
  t.teardown(() => redis.close())
  const startedAt = Date.now()
  let readyAgain = false
  while (!readyAgain && Date.now() - startedAt < 10_000) {
    readyAgain = (await fetch(`${server.url}/readyz`)).status === 200
    if (!readyAgain) await sleep(20)
  }
  t.ok(readyAgain, `ready ${Date.now() - startedAt} ms after Redis started`)

  const res = await fetch(`${server.url}/session`, await exchangeInit())
  t.equal(res.status, 201)
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE_NAME}=`)) as string
  const again = await fetch(`${server.url}/session`,
    { headers: { origin: ORIGIN, 'x-csrf': '1', cookie: setCookie.split(';', 1)[0] as string } })
  t.equal(again.status, 200)
  t.equal((await again.json() as { customer: { id: number } }).customer.id, 4927)
  t.equal(await redis.client.dbsize() > 0, true, 'the session is in the Redis that started late')
  const refusals = (server.stdout() + server.stderr()).split('ECONNREFUSED').length - 1
  t.ok(refusals <= 1, `reconnect attempts are not logged one by one (${refusals} lines)`)
})
