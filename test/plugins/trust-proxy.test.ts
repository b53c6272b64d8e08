// TRUST_PROXY: forwarded headers from an untrusted peer change nothing (client address, rate-limit
// key, protocol); from a listed proxy they are honoured; a forgotten proxy gets one warning.
import t from 'tap'
import { request as httpRequest } from 'node:http'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { WARN_AFTER } from '../../src/plugins/forwarded-headers-warning.js'
import type { Test } from 'tap'
import { startRedis, testConfig, waitReady } from '../support/app.js'
import { postSession, settingCookies } from '../support/session.js'
import { token } from '../support/tokens.js'
import type { RedisServer } from '../support/redis-server.js'

/** The real app plus a probe route that shows what Fastify made of the forwarded headers. */
async function buildWithProbe (t: Test, redis: RedisServer, env: Record<string,
  string>): Promise<{ app: FastifyInstance, logs: string[] }> {
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const app = buildApp(testConfig({ REDIS_URL: redis.url, ...env }), { logger: { level: 'info', stream } })
  app.get('/probe', async (request) => ({ ip: request.ip, protocol: request.protocol, host: request.host }))
  t.teardown(() => app.close())
  await app.ready()
  await waitReady(app)
  return { app, logs }
}

async function probe (app: FastifyInstance, remoteAddress: string, headers: Record<string,
  string>): Promise<{ ip: string, protocol: string, host: string }> {
  return (await app.inject({
    method: 'GET',
    url: '/probe',
    remoteAddress,
    headers: { host: 'svc.internal', ...headers }
  })).json()
}

const FORGED = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }

t.test('an untrusted peer cannot forge its address, protocol or host', async (t) => {
  const redis = await startRedis(t)
  for (const trust of ['', '10.0.0.0/8']) {
    const { app } = await buildWithProbe(t, redis, { TRUST_PROXY: trust })
    t.same(await probe(app, '198.51.100.4', FORGED), { ip: '198.51.100.4', protocol: 'http', host: 'svc.internal' },
      `TRUST_PROXY="${trust}"`)
  }
})

t.test('a listed proxy is believed, but only up to the first untrusted hop', async (t) => {
  const redis = await startRedis(t)
  const { app } = await buildWithProbe(t, redis, { TRUST_PROXY: '10.0.0.0/8,2001:db8::1' })
  t.same(await probe(app, '10.1.2.3', FORGED), { ip: '6.6.6.6', protocol: 'https', host: 'evil.example' })
  t.equal((await probe(app, '2001:db8::1', FORGED)).ip, '6.6.6.6', 'an exact IPv6 entry')
  t.equal((await probe(app, '2001:db8::2', FORGED)).ip, '2001:db8::2', 'its neighbour is not trusted')
  // The client may prepend anything: only what the trusted proxy appended counts.
  t.equal((await probe(app, '10.1.2.3', { 'x-forwarded-for': '6.6.6.6, 203.0.113.5' })).ip, '203.0.113.5')
  t.equal((await probe(app, '10.1.2.3', { 'x-forwarded-for': '6.6.6.6, 203.0.113.5, 10.9.9.9' })).ip, '203.0.113.5',
    'chained trusted proxies')
})

t.test('the rate-limit key: forged from an untrusted peer, honoured from a proxy', async (t) => {
  const redis = await startRedis(t)
  const { app } = await buildWithProbe(t, redis, { RATE_LIMIT_EXCHANGE: '3', TRUST_PROXY: '10.0.0.0/8' })

  for (let i = 1; i <= 3; i++) {
    const res = await postSession(app, { remoteAddress: '198.51.100.4', headers: { 'x-forwarded-for': `7.7.7.${i}` } })
    t.equal(res.statusCode, 401)
  }
  const res = await postSession(app, { remoteAddress: '198.51.100.4', headers: { 'x-forwarded-for': '7.7.7.99' } })
  t.equal(res.statusCode, 429, 'a new forged address each time does not escape the limit')
  t.same((await redis.client.keys('bcx:rl:*7.7.7*')), [], 'no counter under a forged address')

  for (let i = 1; i <= 5; i++) {
    const ok = await postSession(app, { remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': `203.0.113.${i}` } })
    t.equal(ok.statusCode, 401, `client ${i} behind the proxy has its own allowance`)
  }
  for (let i = 0; i < 3; i++) {
    await postSession(app, { remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': `${i}.1.1.1, 192.0.2.50` } })
  }
  const limited =
    await postSession(app, { remoteAddress: '10.0.0.3', headers: { 'x-forwarded-for': '9.9.9.9, 192.0.2.50' } })
  t.equal(limited.statusCode, 429, 'a client behind the proxy cannot escape by prepending addresses')
})

t.test('the cookie stays Secure whatever X-Forwarded-Proto says', async (t) => {
  const redis = await startRedis(t)
  const { app } = await buildWithProbe(t, redis, { TRUST_PROXY: '10.0.0.0/8' })
  const res = await postSession(app, {
    remoteAddress: '10.0.0.2',
    headers: { 'x-forwarded-proto': 'http' },
    payload: JSON.stringify({ token: await token() })
  })
  t.equal(res.statusCode, 201)
  t.match(settingCookies(res)[0], /; Secure/)
})

t.test('real listeners on 127.0.0.1: trusted or not by the socket address', async (t) => {
  const redis = await startRedis(t)
  for (const [trust, expected] of [['127.0.0.1', { ip: '6.6.6.6', protocol: 'https' }],
    ['10.0.0.1', { ip: '127.0.0.1', protocol: 'http' }]] as const) {
    const { app } = await buildWithProbe(t, redis, { TRUST_PROXY: trust })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as { port: number }
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/probe', headers: FORGED }, (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => { text += chunk.toString() })
        res.on('end', () => resolve(text))
      })
      req.on('error', reject)
      req.end()
    })
    t.match(JSON.parse(body), expected, `TRUST_PROXY=${trust}`)
  }
})

t.test('one warning when forwarded headers keep arriving from an untrusted peer', async (t) => {
  const redis = await startRedis(t)
  const { app, logs } = await buildWithProbe(t, redis, { TRUST_PROXY: '10.0.0.0/8' })
  const warnings = (): string[] => logs.filter((l) => l.includes('TRUST_PROXY does not list'))
  const marker = { 'x-forwarded-for': 'forged-marker-1.2.3.4' }

  for (let i = 0; i < 3 * WARN_AFTER; i++) await probe(app, '10.0.0.2', marker)
  t.equal(warnings().length, 0, 'a trusted proxy never warns')
  for (let i = 0; i < WARN_AFTER - 1; i++) {
    await probe(app, '198.51.100.4', marker)
    await probe(app, '198.51.100.5', marker)
  }
  for (let i = 0; i < 30; i++) await probe(app, '198.51.100.6', {})
  t.equal(warnings().length, 0, 'a few stray requests, or requests without forwarded headers, do not warn')

  await probe(app, '198.51.100.4', marker)
  t.equal(warnings().length, 1, 'the peer crossed the threshold')
  for (let i = 0; i < 3 * WARN_AFTER; i++) await probe(app, '198.51.100.5', { forwarded: 'for=1.2.3.4' })
  t.equal(warnings().length, 1, 'only one warning per process')
  const line = JSON.parse(warnings()[0] as string)
  t.equal(line.level, 40)
  t.equal(line.peer, '198.51.100.4')
  t.same(line.headers, ['x-forwarded-for'])
  t.notOk(logs.some((l) => l.includes('forged-marker')), 'header values never reach the log')
})
