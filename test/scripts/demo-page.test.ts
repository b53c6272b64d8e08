// `npm run demo` in a real browser: a shopper signs in on the stand-in storefront and the page shows the
// storefront script's calls as they happen. It also takes the README's screenshot (docs/demo.png), written
// only with UPDATE_SCREENSHOTS=1 so that a test run never changes the repository.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { startDemo } from '../../scripts/demo.js'
import { browserMissing, CHROMIUM, CHROMIUM_ARGS } from '../e2e/harness.js'

const SCREENSHOT = fileURLToPath(new URL('../../docs/demo.png', import.meta.url))
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

interface Call { method: string, path: string, to: string, status: string, what: string }

/** The call list as the page shows it, oldest first. */
async function calls (page: Page): Promise<Call[]> {
  return await page.$$eval('#calls tbody tr', (rows) => rows.map((row) => ({
    method: row.querySelector('.method')?.textContent ?? '',
    path: row.querySelector('.path')?.textContent ?? '',
    to: row.querySelector('.to')?.textContent ?? '',
    status: row.querySelector('.status')?.textContent ?? '',
    what: row.querySelector('.what')?.textContent ?? ''
  })))
}

/** Waits until the page's own script is done and no call is in flight. */
async function settled (page: Page): Promise<void> {
  await page.waitForFunction(() =>
    window.standIn?.done === true && document.querySelector('#calls tbody tr[data-status=""]') === null,
  undefined, { timeout: 30_000 })
}

const text = async (page: Page, selector: string): Promise<string> => await page.textContent(selector) ?? ''

const missing = browserMissing()
if (missing !== null) {
  t.plan(0, `skipped: ${missing}`)
} else {
  t.test('the demo page shows the storefront script\'s calls: token fetch, exchange, reads, logout', async (t) => {
    const update = process.env.UPDATE_SCREENSHOTS === '1'
    // The screenshot shows the addresses a reader sees with `npm run demo` (busy ports fall back to free ones).
    const demo =
      await startDemo({ servicePort: update ? 3000 : 0, storefrontPort: update ? 3001 : 0, logLevel: 'silent' })
    t.teardown(() => demo.close())
    const profile = mkdtempSync(join(tmpdir(), 'bcx-demo-chromium-'))
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: {
        width: 1000,
        height: 800
      },
      deviceScaleFactor: 1
    })
    t.teardown(async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    })
    const page = context.pages()[0] ?? await context.newPage()

    await t.test('a guest: the token fetch answers 404, nothing is exchanged', async (t) => {
      await page.goto(`${demo.storefrontUrl}/`)
      await settled(page)
      const seen = await calls(page)
      t.match(seen.slice(0, 2), [
        { method: 'GET', path: '/customer/current.jwt', to: 'store', status: '404', what: /guest/ },
        { method: 'GET', path: '/session', to: 'service', status: '401', what: /no session/ }
      ])
      t.notOk(seen.some((c) => c.method === 'POST'), 'no exchange')
      t.match(await text(page, '#service-session'), /^null/)
      t.match(await text(page, '#api-me'), /^401 .*BCX_UNAUTHENTICATED/)
    })

    await t.test('signing in: the token fetch, the 201 exchange and the reads, in order', async (t) => {
      await page.selectOption('#sign-in select', '4927')
      await Promise.all([page.waitForEvent('load'), page.click('#sign-in button')])
      await settled(page)
      const seen = await calls(page)
      t.match(seen, [
        { method: 'GET', path: '/customer/current.jwt', to: 'store', status: '200', what: /Current Customer JWT/ },
        { method: 'GET', path: '/session', to: 'service', status: '401', what: /no session/ },
        { method: 'POST', path: '/session', to: 'service', status: '201', what: /exchange the token/ },
        { method: 'GET', path: '/session', to: 'service', status: '200', what: /session belongs to$/ },
        { method: 'GET', path: '/api/me', to: 'service', status: '200', what: /session-protected route$/ }
      ])
      t.equal(seen.length, 5, 'nothing else on this page load')
      t.equal(await text(page, '#service-session'), 'john.doe@gmail.com (customer 4927, store abc123)')
      t.match(await text(page, '#api-me'), /^200 \{"customer":\{"id":4927,"email":"john\.doe@gmail\.com","group_id":"6"\},"store_hash":"abc123","expires_at":"[^"]+"\}$/)
    })

    await t.test('the button calls the protected route again through BcSession.fetch', async (t) => {
      await page.click('#call-api-me')
      await settled(page)
      const seen = await calls(page)
      t.equal(seen.length, 6)
      t.match(seen.at(-1), { method: 'GET', path: '/api/me', to: 'service', status: '200' })
      t.match(await text(page, '#api-me'), /^200 .*"id":4927/)
    })

    await t.test('the screenshot of the signed-in page', async (t) => {
      const dir = update ? null : mkdtempSync(join(tmpdir(), 'bcx-demo-screenshot-'))
      if (dir !== null) t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      const path = dir === null ? SCREENSHOT : join(dir, 'demo.png')
      await page.screenshot({ path, fullPage: true })
      const png = readFileSync(path)
      t.same(png.subarray(0, 8), PNG_SIGNATURE, `a PNG at ${path}`)
      t.ok(png.length > 10_000, `${png.length} bytes`)
    })

    await t.test('logout(): the DELETE, then every panel refreshed', async (t) => {
      await page.click('#service-logout')
      await settled(page)
      const seen = await calls(page)
      t.match(seen.slice(6), [
        { method: 'DELETE', path: '/session', to: 'service', status: '204', what: /end the session/ },
        { method: 'GET', path: '/api/me', to: 'service', status: '401', what: /refused/ }
      ])
      t.equal(seen.length, 8, 'ready() answers null without a call; no re-exchange after logout()')
      t.match(await text(page, '#service-session'), /^null/)
      t.match(await text(page, '#api-me'), /^401 .*BCX_UNAUTHENTICATED/)
      t.match(await text(page, '#storefront-shopper'), /John Doe/, 'the store login stays')
    })
  })
}
