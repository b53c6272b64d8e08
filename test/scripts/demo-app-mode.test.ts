// `npm run demo` as a marketplace app: the stand-in BigCommerce's control panel installs the app on a
// second store through the real callbacks; that store's stand-in storefront signs a shopper in only once
// the app is installed, and the uninstall ends the session. Over HTTP with a real Redis, then in
// headless Chromium as a newcomer clicks through it.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { banner, startDemo, type Demo, type DemoOptions } from '../../scripts/demo.js'
import { DEMO } from '../../src/dev/stand-in-storefront.js'
import { browserMissing, CHROMIUM, CHROMIUM_ARGS, type PageOutcome } from '../e2e/harness.js'
import { eventually as poll, startRedis } from '../support/app.js'
import { snapshot, assertUnchanged } from '../support/redis-state.js'

/** The demo starts servers and a browser: a wider bound than the helper's default. */
const eventually = async (check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> =>
  await poll(check, what, timeoutMs, 100)

type Tap = { teardown: (fn: () => unknown) => void }
const APP_STORE = DEMO.appStoreHash

async function demo (t: Tap, options: DemoOptions = {}): Promise<Demo> {
  const d = await startDemo({
    servicePort: 0,
    storefrontPort: 0,
    appStorefrontPort: 0,
    bigcommercePort: 0,
    logLevel: 'silent',
    ...options
  })
  t.teardown(() => d.close())
  return d
}

/** Signs in on a stand-in storefront; answers the shopper's Current Customer JWT from it. */
async function shopperToken (storefrontUrl: string, customerId: number): Promise<string> {
  const login = await fetch(`${storefrontUrl}/login`,
    { method: 'POST', body: new URLSearchParams({ customer_id: String(customerId) }), redirect: 'manual' })
  const cookie = (login.headers.get('set-cookie') as string).split(';', 1)[0] as string
  return await (await fetch(`${storefrontUrl}/customer/current.jwt?app_client_id=${DEMO.clientId}`,
    { headers: { cookie } })).text()
}

async function exchange (d: Demo, origin: string,
  jwt: string): Promise<{ status: number, code?: string, cookie?: string }> {
  const res = await fetch(`${d.serviceUrl}/session`,
    { method: 'POST', headers: { origin, 'x-csrf': '1', 'content-type': 'text/plain' }, body: jwt })
  const body = await res.json() as { code?: string }
  return {
    status: res.status,
    ...(body.code !== undefined && { code: body.code }),
    ...(res.ok && { cookie: (res.headers.get('set-cookie') as string).split(';', 1)[0] as string })
  }
}

async function getSession (d: Demo, origin: string, cookie: string): Promise<{ status: number, code?: string }> {
  const res = await fetch(`${d.serviceUrl}/session`, { headers: { origin, 'x-csrf': '1', cookie } })
  return { status: res.status, code: (await res.json() as { code?: string }).code }
}

/** A control panel button: its 303 to the app's callback, and the callback's page. */
async function press (d: Demo,
  action: 'install' | 'load' | 'uninstall'): Promise<{ location: string, status: number, body: string }> {
  const res = await fetch(`${d.controlPanelUrl}/${action}`, { method: 'POST', redirect: 'manual' })
  if (res.status !== 303) throw new Error(`${action} answered ${res.status}`)
  const location = res.headers.get('location') as string
  const page = await fetch(location)
  return { location, status: page.status, body: await page.text() }
}

const codeOf = (body: string): string | undefined => /data-code="([A-Z_]+)"/.exec(body)?.[1]

/** What a refusal must leave as it was. The exchange's rate limit counts refused attempts too, by design. */
const REFUSABLE = { skip: (key: string) => key.startsWith('bcx:rl:') }

t.test('the control panel installs the app through the real callbacks; only then does the app store\'s storefront ' +
  'sign in',
async (t) => {
  const redis = await startRedis(t)
  const d = await demo(t, { redisUrl: redis.url })
  for (let i = 0; i < 250 && d.app.redis?.status !== 'ready'; i++) {
    await new Promise((resolve) =>
      setTimeout(resolve, 20))
  }
  t.match(d.appStorefrontUrl, /^http:\/\/localhost:\d+$/)
  t.not(d.appStorefrontUrl, d.storefrontUrl, 'its own origin')
  t.equal(d.controlPanelUrl, `${d.bigcommerce.url}/manage/${APP_STORE}`)
  const text = banner(d)
  t.match(text, new RegExp(`Control panel: +${d.controlPanelUrl}\\n`))
  t.match(text, new RegExp(`That store's storefront: +${d.appStorefrontUrl}/`))
  t.match(text, /1\. In the control panel, click "Install the app"/)
  t.match(text, /2\. On that store's storefront, sign in/)
  t.match(text, /3\. Back in the control panel, click "Uninstall the app": the session ends/)

  const panel = await fetch(d.controlPanelUrl)
  t.equal(panel.status, 200)
  t.equal(panel.headers.get('cache-control'), 'no-store')
  const panelHtml = await panel.text()
  t.match(panelHtml, /data-installed="false"/)
  for (const action of ['install', 'load', 'uninstall']) {
    t.match(panelHtml,
      new RegExp(`<form method="post" action="/manage/${APP_STORE}/${action}"><button id="${action}"`))
  }
  t.match(panelHtml, `href="${d.appStorefrontUrl}/"`, 'links the store\'s storefront, from its sites')
  const appPage = await (await fetch(`${d.appStorefrontUrl}/`)).text()
  t.match(appPage, /id="app-install" data-installed="false"/)
  t.match(appPage, `href="${d.controlPanelUrl}"`)
  t.match(appPage, `<script src="${d.serviceUrl}/storefront.js" data-client-id="${DEMO.clientId}"></script>`,
    'the bare URL, as the install puts it in Script Manager')

  await t.test('before the install: the app store\'s origin and store are refused, and nothing changes',
    async (t) => {
      const before = await snapshot(redis.client, REFUSABLE)
      const refused = await exchange(d, d.appStorefrontUrl, await shopperToken(d.appStorefrontUrl, 4927))
      t.same([refused.status, refused.code], [403, 'BCX_ORIGIN_REFUSED'])
      const preflight = await fetch(`${d.serviceUrl}/session`, {
        method: 'OPTIONS',
        headers: {
          origin: d.appStorefrontUrl,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-csrf'
        }
      })
      t.equal(preflight.headers.get('access-control-allow-origin'), null,
        'no CORS for it: the browser sees network_error')
      // The store is not served either: its token is refused on the first store's (allowed) origin too.
      const elsewhere = await exchange(d, d.storefrontUrl, await shopperToken(d.appStorefrontUrl, 4927))
      t.same([elsewhere.status, elsewhere.code], [403, 'BCX_STORE_NOT_ALLOWED'])
      const load = await press(d, 'load')
      t.same([load.status, codeOf(load.body)], [403, 'BCX_STORE_NOT_ALLOWED'], 'opening an app that is not installed')
      await assertUnchanged(t, redis.client, before, 'no session, no install, no jti kept', REFUSABLE)
      t.equal(d.bigcommerce.installed(APP_STORE), false)
      t.same(d.bigcommerce.scriptTags(APP_STORE), [])
    })

  await t.test('the control panel refuses what BigCommerce\'s would not do, changing nothing', async (t) => {
    const before = await snapshot(redis.client, REFUSABLE)
    const apiCalls = d.bigcommerce.requests.length
    const cases: Array<[string, string, number]> = [
      ['GET', `/manage/${APP_STORE}/install`, 405],
      ['GET', `/manage/${APP_STORE}/uninstall`, 405],
      ['POST', `/manage/${APP_STORE}`, 405],
      ['GET', '/manage/nosuchstore', 404],
      ['POST', '/manage/nosuchstore/install', 404],
      ['POST', `/manage/${APP_STORE}/delete`, 404],
      ['GET', '/manage/bad%21hash', 404]
    ]
    for (const [method, path, status] of cases) {
      const res = await fetch(`${d.bigcommerce.url}${path}`, { method, redirect: 'manual' })
      t.equal(res.status, status, `${method} ${path}`)
      t.equal(res.headers.get('location'), null, 'sends the browser nowhere')
    }
    t.equal(d.bigcommerce.requests.length, apiCalls, 'no API call')
    await assertUnchanged(t, redis.client, before, 'refused', REFUSABLE)
    t.equal(d.bigcommerce.installed(APP_STORE), false)
    t.equal((await fetch(`${d.bigcommerce.url}/manage/nosuchstore`)).status, 404, 'no store is made up')
  })

  let cookie = ''
  await t.test('install: the auth callback with a code, as the control panel opens it; then the exchange works',
    async (t) => {
      const install = await press(d, 'install')
      const url = new URL(install.location)
      t.equal(`${url.origin}${url.pathname}`, `${d.serviceUrl}/bigcommerce/auth`)
      t.match(Object.fromEntries(url.searchParams),
        { code: /^code-/, scope: /store_v2_content/, context: `stores/${APP_STORE}`, account_uuid: /^[0-9a-f-]{36}$/ })
      t.equal(install.status, 200)
      t.match(install.body, /Installed\./)
      t.match(install.body, `<code>${d.appStorefrontUrl}</code>`, 'the origin read from the store\'s sites')
      t.equal(d.bigcommerce.installed(APP_STORE), true)
      const tag = `<script src="${d.serviceUrl}/storefront.js" data-client-id="${DEMO.clientId}" ` +
        'data-customer-id="{{customer.id}}"></script>'
      t.same(d.bigcommerce.scriptTags(APP_STORE), [tag])
      t.equal(await redis.client.exists(`bcx:{app:${APP_STORE}}:install`), 1)
      const page = await (await fetch(`${d.appStorefrontUrl}/`)).text()
      t.match(page, /id="app-install" data-installed="true"/)
      t.match(page, '&#60;script src=&#34;', 'shows the script Script Manager holds')
      const panelNow = await (await fetch(d.controlPanelUrl)).text()
      t.match(panelNow, /data-installed="true"/)
      t.match(panelNow, /id="scripts" data-count="1"/)
      t.match(panelNow, /id="hooks" data-count="3"/)

      let done: Awaited<ReturnType<typeof exchange>> = { status: 0 }
      await eventually(async () =>
        (done = await exchange(d, d.appStorefrontUrl,
          await shopperToken(d.appStorefrontUrl,
            4927))).status === 201, 'the app store\'s token exchanged on its origin')
      cookie = done.cookie as string
      t.equal((await getSession(d, d.appStorefrontUrl, cookie)).status, 200)
      const loaded = await press(d, 'load')
      t.equal(loaded.status, 200)
      t.match(loaded.body, /data-live-sessions="1"/)
      const first = await exchange(d, d.storefrontUrl, await shopperToken(d.storefrontUrl, 5001))
      t.equal(first.status, 201, 'the first store is served as before')
    })

  await t.test('uninstall: a signed payload; the session ends and the origin is refused again', async (t) => {
    const uninstall = await press(d, 'uninstall')
    t.match(uninstall.location, `${d.serviceUrl}/bigcommerce/uninstall?signed_payload_jwt=`)
    t.equal(uninstall.status, 200)
    t.match(uninstall.body, /data-revoked="1"/)
    t.same(await getSession(d, d.appStorefrontUrl, cookie), { status: 401, code: 'BCX_UNAUTHENTICATED' })
    t.same(d.bigcommerce.scriptTags(APP_STORE), [], 'BigCommerce removed the auto_uninstall script')
    t.equal(d.bigcommerce.installed(APP_STORE), false)
    t.equal(await redis.client.exists(`bcx:{app:${APP_STORE}}:install`), 0)
    t.equal((await redis.client.keys(`bcx:{${APP_STORE}:*}:s:*`)).length, 0, 'no session of the store left')
    await eventually(async () =>
      (await exchange(d, d.appStorefrontUrl,
        await shopperToken(d.appStorefrontUrl, 4927))).code === 'BCX_ORIGIN_REFUSED', 'the origin refused again')
    t.match(await (await fetch(`${d.appStorefrontUrl}/`)).text(), /id="app-install" data-installed="false"/)
  })
})

interface LogLine { msg?: string, method?: string, route?: string, status?: number }

async function settled (page: Page): Promise<PageOutcome> {
  await page.waitForFunction(() =>
    window.standIn?.done === true && document.querySelector('#calls tbody tr[data-status=""]') === null,
  undefined, { timeout: 60_000 })
  return await page.evaluate(() => window.standIn as PageOutcome)
}

async function click (page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), page.click(selector)])
}

const missing = browserMissing()
if (missing !== null) {
  t.test('in a browser', { skip: missing }, async () => {})
} else {
  t.test('in a browser: install, a shopper signs in on the app store\'s storefront, uninstall ends the session',
    async (t) => {
      const log: LogLine[] = []
      const d = await demo(t, {
        logLevel: 'info',
        logStream: {
          write: (line: string) => {
            for (const l of line.split('\n')) if (l.startsWith('{')) log.push(JSON.parse(l) as LogLine)
          }
        }
      })
      const profile = mkdtempSync(join(tmpdir(), 'bcx-demo-app-chromium-'))
      const context = await chromium.launchPersistentContext(profile,
        { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
      t.teardown(async () => {
        await context.close()
        rmSync(profile, { recursive: true, force: true })
      })
      context.setDefaultTimeout(60_000)
      const page = context.pages()[0] ?? await context.newPage()
      const text = async (selector: string, on = page): Promise<string> => await on.textContent(selector) ?? ''
      const secrets: string[] = []

      await t.test('before the install: a signed-in shopper gets no session, the origin is refused', async (t) => {
        await page.goto(`${d.appStorefrontUrl}/`)
        await settled(page)
        t.equal(await page.getAttribute('#app-install', 'data-installed'), 'false')
        await page.selectOption('#sign-in select', '4927')
        await click(page, '#sign-in button')
        const seen = await settled(page)
        t.match(await text('#storefront-shopper'), /John Doe/, 'signed in to the store')
        t.equal(seen.error?.code, 'network_error', 'the service refused the origin (no CORS)')
        t.match(await text('#service-session'), /^error network_error/)
        t.notOk(log.some((l) => l.method === 'POST' && l.route === '/session' && l.status === 201), 'no exchange')
      })

      await t.test('install from the control panel: the page says installed', async (t) => {
        await page.goto(d.controlPanelUrl)
        t.equal(await page.getAttribute('#app-state', 'data-installed'), 'false')
        await click(page, '#install')
        t.equal(new URL(page.url()).pathname, '/bigcommerce/auth')
        secrets.push(new URL(page.url()).searchParams.get('code') as string, ...d.bigcommerce.store(APP_STORE).tokens)
        t.match(await text('h1'), /installed/)
        t.match(await text('body'), /Installed\./)
        t.match(await text('body'), d.appStorefrontUrl)
        await page.goto(d.controlPanelUrl)
        t.equal(await page.getAttribute('#app-state', 'data-installed'), 'true')
      })

      const other = await context.newPage()
      await t.test('the shopper signs in on the app store\'s storefront: a 201 exchange, the session shown',
        async (t) => {
          let seen: PageOutcome = { done: false }
          // The allow-lists follow the install at once in one process; a retry covers a slow machine.
          await eventually(async () => {
            await page.goto(`${d.appStorefrontUrl}/`)
            seen = await settled(page)
            return seen.customer != null
          }, 'a session on the app store\'s storefront', 60_000)
          t.equal(await page.getAttribute('#app-install', 'data-installed'), 'true')
          t.match(seen.customer, { id: 4927, email: 'john.doe@gmail.com', store_hash: APP_STORE })
          t.match(await text('#service-session'), `john.doe@gmail.com (customer 4927, store ${APP_STORE})`)
          t.ok(await page.$('#calls tbody tr[data-method="POST"][data-path="/session"][data-status="201"]'),
            'the exchange, 201')
          t.ok(log.some((l) => l.method === 'POST' && l.route === '/session' && l.status === 201))
          t.equal(seen.me?.status, 200)
          // A second tab keeps the page open across the uninstall: its next call tells what the service says then.
          await other.goto(`${d.appStorefrontUrl}/`)
          t.match(await settled(other), { customer: { id: 4927 } })
        })

      await t.test('uninstall from the control panel: the storefront\'s next BcSession call finds no session',
        async (t) => {
          await page.goto(d.controlPanelUrl)
          await click(page, '#uninstall')
          t.equal(new URL(page.url()).pathname, '/bigcommerce/uninstall')
          secrets.push(new URL(page.url()).searchParams.get('signed_payload_jwt') as string)
          t.match(await text('h1'), /uninstalled/)
          t.equal(await page.getAttribute('[data-revoked]', 'data-revoked'), '1', 'the session ended')
          const from = log.length
          await other.click('#call-api-me')
          const seen = await settled(other)
          await eventually(async () => log.slice(from).some((l) => l.route === '/api/me'),
            'the call in the service\'s log')
          t.match(log.slice(from).filter((l) => l.route === '/api/me'), [{ method: 'GET', status: 401 }],
            'the service: no session')
          // The origin left the allow-list with the install, so the browser withholds the 401 from the page:
          // the call fails there, and the page shows no customer data.
          t.ok(seen.error, 'the page\'s call failed')
          t.ok(await other.$('#calls tbody tr[data-method="GET"][data-path="/api/me"][data-status="failed"]'),
            'listed as failed')
          t.match(await text('#api-me', other), /^error /)
          await page.goto(`${d.appStorefrontUrl}/`)
          const after = await settled(page)
          t.notOk(after.customer, 'no session on a new page either')
          t.equal(await page.getAttribute('#app-install', 'data-installed'), 'false')
          t.notOk(log.slice(from).some((l) => l.method === 'POST' && l.route === '/session' && l.status === 201),
            'no new exchange')
        })

      t.test('the log has no code, access token or signed payload', async (t) => {
        t.equal(secrets.length, 3)
        const written = JSON.stringify(log)
        for (const secret of secrets) t.ok(secret.length > 10 && !written.includes(secret))
      })
    })
}
