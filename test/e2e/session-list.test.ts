// "Where am I signed in?" in real browsers: one shopper in two browsers (two Chromium profiles, the second
// presenting a Firefox-on-Windows User-Agent), the demo page's session list, ending the other browser's
// session, and signing out everywhere. Storefront on http://localhost, service on http://127.0.0.1.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import {
  browserMissing, CHROMIUM, CHROMIUM_ARGS, open, outcome, setUpStage, signIn, type PageOutcome
} from './harness.js'
import type { BcSessionInfo } from '../../src/storefront/bc-session.js'

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0'

type Outcome = PageOutcome & { sessions?: BcSessionInfo[], ended?: number }

/** Clicks a control of the demo page and waits for its work to finish. */
async function click (page: Page, selector: string): Promise<Outcome> {
  await page.evaluate(() => { (window.standIn as PageOutcome).done = false })
  await page.click(selector)
  return await outcome(page) as Outcome
}

/** The service's own answer to this browser's cookie, without the script (which would exchange again). */
async function sessionStatus (page: Page, serviceUrl: string): Promise<number> {
  return await page.evaluate(async (url) =>
    (await fetch(`${url}/session`, { credentials: 'include', headers: { 'X-CSRF': '1' } })).status, serviceUrl)
}

const missing = browserMissing()
if (missing !== null) {
  t.plan(0, `skipped: ${missing}`)
} else {
  t.test('one shopper in two browsers: list, end the other one, sign out everywhere', async (t) => {
    const s = await setUpStage(t, { storefrontHost: 'localhost', serviceHost: '127.0.0.1', env: {}, pinned: false })
    const profile = mkdtempSync(join(tmpdir(), 'bcx-chromium-second-'))
    const second = await chromium.launchPersistentContext(profile,
      { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, userAgent: FIREFOX_WINDOWS })
    t.teardown(async () => {
      await second.close()
      rmSync(profile, { recursive: true, force: true })
    })
    const a = s.page
    const b = second.pages()[0] ?? await second.newPage()
    const store = `${s.store.url}/`

    await open(a, store)
    t.equal((await signIn(a, 4927)).customer?.id, 4927, 'signed in in the first browser')
    await open(b, store)
    t.equal((await signIn(b, 4927)).customer?.id, 4927, 'and in the second')

    const listed = await click(a, '#list-sessions')
    t.equal(listed.error, undefined)
    const sessions = listed.sessions ?? []
    t.equal(sessions.length, 2, 'two sessions')
    const mine = sessions.find((x) => x.current)
    const other = sessions.find((x) => !x.current)
    t.match(mine, { browser: 'Chrome', os: 'Linux', origin: s.store.url }, 'this browser: headless Chromium on Linux')
    t.match(other, { browser: 'Firefox', os: 'Windows', origin: s.store.url },
      'the other: its User-Agent says Firefox on Windows')
    t.equal(await a.locator('#sessions tbody tr').count(), 2, 'the page lists both')
    t.match(await a.locator('#sessions tbody tr[data-current="false"]').innerText(), /Firefox on Windows/)

    const fromB = await click(b, '#list-sessions')
    t.same(Object.fromEntries((fromB.sessions ?? []).map((x) => [x.handle, x.current])),
      { [mine?.handle ?? '']: false, [other?.handle ?? '']: true },
      'the same two, seen from the other browser')

    // End the other browser's session from the first one.
    const ended = await click(a, '#sessions tbody tr[data-current="false"] button.end-session')
    t.equal(ended.ended, 204)
    t.equal(ended.sessions?.length, 1, 'one left')
    t.equal(ended.sessions?.[0]?.current, true)
    const mark = s.requests.length
    t.equal(await sessionStatus(b, s.serviceUrl), 401, 'the other browser\'s next call is 401')
    t.match(s.requests.slice(mark).filter((r) => r.method === 'GET'),
      [{ method: 'GET', path: '/session', status: 401, withCookie: true, code: 'BCX_UNAUTHENTICATED' }])
    t.equal(await sessionStatus(a, s.serviceUrl), 200, 'this one stays')

    // The second browser is still signed in to the store: its next page load exchanges again.
    t.equal((await open(b, store)).customer?.id, 4927)
    t.equal((await click(a, '#list-sessions')).sessions?.length, 2)

    // Sign out everywhere, from the second browser.
    const everywhere = await click(b, '#logout-everywhere')
    t.equal(everywhere.error, undefined)
    t.same(everywhere.sessions, [], 'nothing left to list')
    t.equal(await sessionStatus(a, s.serviceUrl), 401, 'the first browser is signed out')
    t.equal(await sessionStatus(b, s.serviceUrl), 401, 'and this one')
    t.same(await s.redis.client.keys('bcx:*:s:*'), [], 'no session left in Redis')
  })
}
