// Requests that never finish, against a real server process: a few hundred webhook bodies held open
// (their signature headers present, so the body is awaited) and connections that send nothing are all
// answered 408 in our error shape and closed within REQUEST_TIMEOUT_MS plus Node's check interval, while
// /healthz keeps answering. Without a request timeout they would be held forever.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { startRedis, testConfig } from '../support/app.js'
import { buildApp, requestTimeouts } from '../../src/app.js'
import { postHead, rawRequest, type RawRequest } from '../support/raw-http.js'
import { productionEnv, startServer } from '../support/server-process.js'
import { tally } from '../support/responses.js'
import { SLACK_MS } from '../support/time-bounds.js'

const REQUEST_TIMEOUT_MS = 4000
const HELD = 300
const SILENT = 20

t.test('held-open webhook bodies and silent connections: 408 and closed within the bound; /healthz answers throughout',
  async (t) => {
    const redis = await startRedis(t)
    const server = await startServer(t, { ...productionEnv(redis.url), REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) })

    const head = postHead('/webhooks/bigcommerce', {
      'content-type': 'application/json',
      'webhook-id': 'msg_held',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': 'v1,AAAA'
    }, 16_000)
    const opened: RawRequest[] = []
    for (let i = 0; i < HELD; i++) opened.push(rawRequest(server.port, head, '{'))
    for (let i = 0; i < SILENT; i++) opened.push(rawRequest(server.port, null))
    t.teardown(() => { for (const r of opened) r.socket.destroy() })
    const openedAt = Date.now()

    // /healthz, once every 100 ms on a fresh connection, until every held request is closed.
    const health: Array<{ status: number, ms: number }> = []
    const state = { done: false }
    const probe = (async () => {
      while (!state.done) {
        const started = Date.now()
        const res = await fetch(`${server.url}/healthz`,
          { headers: { connection: 'close' }, signal: AbortSignal.timeout(5000) }).catch(() => null)
        health.push({ status: res?.status ?? 0, ms: Date.now() - started })
        await sleep(100)
      }
    })()

    const answers = await Promise.race([
      Promise.all(opened.map(async (r) => await r.answer)),
      sleep(REQUEST_TIMEOUT_MS + SLACK_MS + 10_000).then(() => null)
    ])
    const allClosedAfter = Date.now() - openedAt
    state.done = true
    await probe
    if (answers === null) {
      t.fail(`not every held request was closed within ${REQUEST_TIMEOUT_MS + SLACK_MS + 10_000} ms`)
      return
    }
    t.ok(allClosedAfter <= REQUEST_TIMEOUT_MS + SLACK_MS,
    `all ${opened.length} closed ${allClosedAfter} ms after they were opened (bound ${REQUEST_TIMEOUT_MS} ms)`)
    const early = answers.filter((a) => a.closedAfterMs < REQUEST_TIMEOUT_MS - 100)
    t.same(early.map((a) => a.status), [],
      'none closed before the request timeout (the timeout closed them, nothing else)')
    const statuses = tally(answers.map((a) => a.status))
    t.same(Object.keys(statuses), ['408'], `every one was answered 408 (${JSON.stringify(statuses)})`)
    const first = answers[0]
    t.equal(first?.headers.connection, 'close')
    t.same(JSON.parse(first?.body ?? '{}'), {
      statusCode: 408,
      code: 'ERR_HTTP_REQUEST_TIMEOUT',
      error: 'Request Timeout',
      message: 'Request Timeout'
    }, 'the 408 is in our error shape')

    t.ok(health.length >= 5, `${health.length} health probes during the test`)
    t.same(health.filter((h) => h.status !== 200), [], '/healthz answered 200 every time')
    t.ok(health.every((h) => h.ms < REQUEST_TIMEOUT_MS - 1000),
    `/healthz answered, never held as long as a request may take (slowest ${Math.max(...health.map((h) => h.ms))} ms)`)
    t.equal(server.child.exitCode, null, 'the process is still up')
  })

t.test('the server gets the request timeout, a check interval of a tenth of it (at most 1 s), and a bounded keep-alive',
  async (t) => {
    t.same(requestTimeouts(30_000), { headersTimeout: 30_000, connectionsCheckingInterval: 1000 })
    t.same(requestTimeouts(2000).connectionsCheckingInterval, 200)
    t.same(requestTimeouts(300_000).connectionsCheckingInterval, 1000)
    const app = buildApp(testConfig({ REDIS_URL: undefined }), { logger: false })
    t.teardown(() => app.close())
    await app.ready()
    const server = app.server as typeof app.server & { connectionsCheckingInterval: number }
    t.equal(server.requestTimeout, 30_000, 'REQUEST_TIMEOUT_MS defaults to 30 s')
    t.equal(server.headersTimeout, 30_000)
    t.equal(server.connectionsCheckingInterval, 1000, 'expired requests are looked for every second, not every 30 s')
    t.equal(server.keepAliveTimeout, 72_000, 'an idle keep-alive connection closes after 72 s')
  })
