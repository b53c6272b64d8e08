// A browser that blocks third-party cookies (Chromium's phase-out test mode) with the cross-site deployment:
// the partitioned cookie still works; an unpartitioned one is dropped by the browser itself, and the script
// reports cookies_blocked after one exchange instead of looping. No simulation: the browser decides.
import t from 'tap'
import { browserMissing, open, reload, setUpStage, signIn } from './harness.js'
import { COOKIE_NAME } from '../support/app.js'

const BLOCKING = ['--test-third-party-cookie-phaseout']
const cross = { storefrontHost: 'localhost', serviceHost: '127.0.0.1', pinned: true, browserArgs: BLOCKING }

const missing = browserMissing()
if (missing !== null) {
  t.plan(0, `skipped: ${missing}`)
} else {
  t.test('third-party cookies blocked: the partitioned cookie (the default) still works', async (t) => {
    const s = await setUpStage(t, { ...cross, env: {} })
    await open(s.page, `${s.store.url}/`)
    const seen = await signIn(s.page, 4927)
    t.equal(seen.error, undefined)
    t.equal(seen.customer?.id, 4927)
    t.equal(seen.me?.status, 200)
    const mark = s.requests.length
    t.equal((await reload(s.page)).customer?.id, 4927)
    t.equal(s.count('POST', '/session', mark), 0, 'no exchange on reload')
    t.equal(s.count('POST', '/session'), 1)
  })

  t.test('third-party cookies blocked: an unpartitioned SameSite=None cookie gives cookies_blocked, once',
    async (t) => {
      const s = await setUpStage(t, { ...cross, env: { COOKIE_PARTITIONED: 'false' } })
      await open(s.page, `${s.store.url}/`)
      const mark = s.requests.length
      const seen = await signIn(s.page, 4927)
      t.equal(seen.error?.code, 'cookies_blocked')
      t.equal(s.count('POST', '/session', mark), 1, 'one exchange')
      t.match(s.requests.slice(mark).find((r) => r.method === 'POST'), { status: 201 },
        'the service did answer 201 with a cookie')
      t.same((await s.context.cookies(s.serviceUrl)).filter((c) => c.name === COOKIE_NAME), [],
        'the browser dropped it')
      const after = s.requests.length
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const again = await s.page.evaluate(async () => {
        const code = async (p: Promise<unknown>): Promise<string> =>
          await p.then(() => 'resolved', (err: { code: string }) => err.code)
        return [await code(window.BcSession.ready()), await code(window.BcSession.fetch('/api/me'))]
      })
      t.same(again, ['cookies_blocked', 'cookies_blocked'])
      t.equal(s.requests.length, after, 'no further calls')
    })
}
