// The browser proof that a page of the cookie's site cannot ride the session without CORS: an <img>, a
// <script>, an <iframe> and no-cors fetches (one of them trying to add X-CSRF) against /session, /api/me and
// a proxied path, from an allowed page and from a page outside the allow-list. The browser sends the cookie
// each time; the service refuses before any Redis command, the upstream hears nothing, the idle deadline
// does not move, and the storefront script keeps working.
import type { Page } from 'playwright-core'
import type { TAP } from 'tap'
import { startUpstream, UPSTREAM_SECRET } from '../support/upstream-server.js'
import { open, setUpStage, signIn, type Deployment, type Stage } from './harness.js'
import { commandsSince } from '../support/redis-state.js'

type Test = Parameters<Parameters<TAP['test']>[0]>[0]

const PATHS = ['/session', '/api/me', '/api/things/list']
const PROBES = ['img', 'script', 'iframe', 'fetch', 'fetch-with-header'] as const
/** Per probe, far beyond what a load takes even on a busy machine; a probe that never settles fails the test. */
const PROBE_TIMEOUT_MS = 30_000

/** Loads every probe of every path from the page, one after the other, and answers how each settled. */
async function probe (page: Page, serviceUrl: string, tag: string): Promise<string[]> {
  return await page.evaluate(async ({ serviceUrl, tag, paths, probes, timeoutMs }) => {
    const settle = async (start: (done: (how: string) => void) => void): Promise<string> =>
      await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('timed out'), timeoutMs)
        start((how) => { clearTimeout(timer); resolve(how) })
      })
    const element =
      async (tagName: 'img' | 'script' | 'iframe', url: string): Promise<string> => await settle((done) => {
        const el = document.createElement(tagName)
        el.onload = () => done('load')
        el.onerror = () => done('error')
        el.src = url
        document.body.append(el)
      })
    const outcomes: string[] = []
    for (const path of paths) {
      for (const how of probes) {
        // A query per probe: no cache or coalescing can hide a request.
        const url = `${serviceUrl}${path}?probe=${tag}-${how}`
        let seen: string
        if (how === 'img' || how === 'script' || how === 'iframe') seen = await element(how, url)
        else {
          // In no-cors mode the browser drops a header outside the CORS-safelisted ones: X-CSRF never leaves.
          const init: RequestInit = {
            mode: 'no-cors',
            credentials: 'include',
            ...(how === 'fetch-with-header' && { headers: { 'X-CSRF': '1' } })
          }
          seen = await settle((done) => { fetch(url, init).then((r) => done(r.type), () => done('error')) })
        }
        outcomes.push(`${path} ${how}: ${seen}`)
      }
    }
    return outcomes
  }, { serviceUrl, tag, paths: PATHS, probes: [...PROBES], timeoutMs: PROBE_TIMEOUT_MS })
}

async function sessionKey (s: Stage): Promise<string> {
  const keys = await s.redis.client.keys('bcx:*:s:*')
  if (keys.length !== 1) throw new Error(`expected one session in Redis, found ${keys.length}`)
  return keys[0] as string
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export async function noCorsProof (t: Test, d: Deployment): Promise<void> {
  const upstream = await startUpstream()
  t.teardown(() => upstream.close())
  const s = await setUpStage(t,
    { ...d, env: { ...d.env, UPSTREAM_URL: upstream.url, UPSTREAM_SIGNING_SECRET: UPSTREAM_SECRET } })
  const { page, store } = s

  await t.test('the shopper signs in on the store; the script reads the session and a proxied path', async (t) => {
    await open(page, `${store.url}/`)
    const seen = await signIn(page, 4927)
    t.equal(seen.error, undefined)
    t.equal(seen.customer?.id, 4927)
    t.equal(seen.me?.status, 200)
    const proxied = await page.evaluate(async () => {
      const res = await window.BcSession.fetch('/api/things/list?via=script')
      return { status: res.status, body: await res.json() as unknown }
    })
    t.same(proxied,
      { status: 200, body: { upstream: true, method: 'GET', url: '/things/list?via=script', customer: '4927' } })
  })

  for (const [name, site] of [['an allowed page', store],
    ['a page outside the allow-list, same site', s.notAllowed]] as const) {
    await t.test(`${name}: <img>, <script>, <iframe> and no-cors fetches reach no session and no upstream`,
      async (t) => {
        const probePage = site === store ? page : await s.context.newPage()
        t.teardown(async () => { if (probePage !== page) await probePage.close() })
        // The page's own script runs first: what it does is not what is measured.
        await open(probePage, `${site.url}/`)
        const key = await sessionKey(s)
        // A read slides the idle deadline back to its full length: let the clock run, so that a slide would show.
        await sleep(200)
        const before = await s.redis.client.pttl(key)
        const mark = s.requests.length
        const upstreamMark = upstream.received.length
        await commandsSince(s.redis.client)

        const outcomes = await probe(probePage, s.serviceUrl, site === store ? 'allowed' : 'outside')
        t.notOk(outcomes.some((o) => o.endsWith('timed out')), `every probe settled: ${outcomes.join('; ')}`)

        const arrived = s.requests.slice(mark).filter((r) => PATHS.includes(r.path))
        t.equal(arrived.length, PATHS.length * PROBES.length, 'every probe reached the service')
        t.ok(arrived.every((r) => r.method === 'GET'), 'all of them reads')
        t.ok(arrived.every((r) => r.withCookie), 'the browser sent the session cookie with each of them')
        t.same(arrived.filter((r) => r.status !== 403 || r.code !== 'BCX_CSRF_HEADER_MISSING'), [],
          'each one refused: 403 BCX_CSRF_HEADER_MISSING')
        t.same([...new Set(arrived.map((r) => r.mode))].sort(), ['navigate', 'no-cors'],
          'no-cors loads and a navigation, as the browser labels them')
        t.same(await commandsSince(s.redis.client), [], 'not one Redis command: the session was neither read nor slid')
        t.ok(await s.redis.client.pttl(key) <= before, 'the idle deadline did not move')
        t.equal(upstream.received.length, upstreamMark, 'the upstream received nothing')
      })
  }

  await t.test('the store page\'s script still reads, slides and reaches the upstream', async (t) => {
    const key = await sessionKey(s)
    await sleep(200)
    const before = await s.redis.client.pttl(key)
    const upstreamMark = upstream.received.length
    const seen = await page.evaluate(async () => {
      const customer = await window.BcSession.ready()
      const me = await window.BcSession.fetch('/api/me')
      const proxied = await window.BcSession.fetch('/api/things/list?via=script-again')
      return { id: customer?.id, me: me.status, proxied: proxied.status }
    })
    t.same(seen, { id: 4927, me: 200, proxied: 200 })
    t.equal(upstream.received.length, upstreamMark + 1, 'the proxied read reached the upstream')
    t.equal(upstream.received.at(-1)?.headers['x-customer-id'], '4927')
    t.ok(await s.redis.client.pttl(key) > before, 'the reads slid the idle deadline')
    const reads = s.requests.filter((r) => r.path === '/api/me').at(-1)
    t.match(reads, { method: 'GET', status: 200, origin: store.url, withCookie: true, mode: 'cors' })
  })
}
