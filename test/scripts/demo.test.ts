import t from 'tap'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { decodeJwt } from 'jose'
import { banner, startDemo, type Demo } from '../../scripts/demo.js'
import { DEMO } from '../../src/dev/stand-in-storefront.js'
import { startRedis } from '../support/app.js'

const DEMO_SCRIPT = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url))
type Tap = { teardown: (fn: () => unknown) => void }

async function demo (t: Tap, options: Parameters<typeof startDemo>[0] = {}): Promise<Demo> {
  const d = await startDemo({ servicePort: 0, storefrontPort: 0, logLevel: 'silent', ...options })
  t.teardown(() => d.close())
  return d
}

/** Signs in on the stand-in storefront; answers its shopper cookie. */
async function signIn (d: Demo, customerId: number): Promise<string> {
  const res = await fetch(`${d.storefrontUrl}/login`,
    { method: 'POST', body: new URLSearchParams({ customer_id: String(customerId) }), redirect: 'manual' })
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`)
  return (res.headers.get('set-cookie') as string).split(';', 1)[0] as string
}

async function exchangeThroughService (d: Demo,
  shopperCookie: string): Promise<{ status: number, cookie: string | undefined, body: { customer?: { id: number } } }> {
  const jwt = await (await fetch(`${d.storefrontUrl}/customer/current.jwt?app_client_id=${DEMO.clientId}`,
    { headers: { cookie: shopperCookie } })).text()
  const res = await fetch(`${d.serviceUrl}/session`, {
    method: 'POST',
    headers: { origin: d.storefrontUrl, 'x-csrf': '1', 'content-type': 'text/plain' },
    body: jwt
  })
  return {
    status: res.status,
    cookie: res.headers.get('set-cookie')?.split(';', 1)[0],
    body: await res.json() as { customer?: { id: number } }
  }
}

t.test('the demo: a storefront page that loads the pinned script as Script Manager would', async (t) => {
  const d = await demo(t)
  t.equal(d.store, 'memory')
  t.match(d.serviceUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.match(d.storefrontUrl, /^http:\/\/localhost:\d+$/, 'another site than the service')
  const html = await (await fetch(`${d.storefrontUrl}/`)).text()
  const tag = /<script src="([^"]+)" integrity="([^"]+)" crossorigin="anonymous" data-client-id="demo-client-id"><\/script>/.exec(html)
  t.ok(tag, 'the Script Manager tag, without data-customer-id by default')
  const [, src, integrity] = tag as RegExpExecArray
  t.ok(src?.startsWith(`${d.serviceUrl}/storefront.js?v=`))
  const script = await fetch(src as string)
  t.equal(script.status, 200)
  t.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable')
  const digest = `sha384-${createHash('sha384').update(Buffer.from(await script.arrayBuffer())).digest('base64')}`
  t.equal(integrity, digest, 'the SRI value matches the bytes served')
  t.match(html, /id="service-session"/, 'shows who the service thinks is signed in')
  t.match(html, /BcSession\.fetch\('\/api\/me'\)/, 'calls a session-protected route')
  t.match(html, /id="sign-out"/)
  t.match(html, /<table id="calls">/, 'lists the script\'s calls')
  t.match(html, /id="call-api-me"/, 'calls the protected route again on demand')
  t.ok(html.indexOf('window.fetch = function') < html.indexOf('<script src='),
    'the recorder wraps fetch before the script loads')
  t.match(html, /<select name="customer_id">/, 'sign in as another shopper')

  const hinted =
    await (await fetch(`${d.storefrontUrl}/?hint=1`, { headers: { cookie: await signIn(d, 5001) } })).text()
  t.match(hinted, /data-client-id="demo-client-id" data-customer-id="5001"><\/script>/)
  const guestHinted = await (await fetch(`${d.storefrontUrl}/?hint=1`)).text()
  t.match(guestHinted, /data-customer-id=""><\/script>/, 'a guest renders an empty hint')
  t.match(banner(d), new RegExp(`Open the stand-in storefront: +${d.storefrontUrl}/`))
})

t.test('the stand-in /customer/current.jwt: 404 for guests, a demo-signed token for shoppers', async (t) => {
  const d = await demo(t)
  const url = `${d.storefrontUrl}/customer/current.jwt?app_client_id=${DEMO.clientId}`
  const guest = await fetch(url)
  t.equal(guest.status, 404)
  const wrongClient = await fetch(`${d.storefrontUrl}/customer/current.jwt?app_client_id=someone-else`,
    { headers: { cookie: await signIn(d, 4927) } })
  t.equal(wrongClient.status, 400)
  const res = await fetch(url, { headers: { cookie: await signIn(d, 4927) } })
  t.equal(res.status, 200)
  t.equal(res.headers.get('cache-control'), 'no-store')
  t.match(decodeJwt(await res.text()), {
    customer: { id: 4927, email: 'john.doe@gmail.com', group_id: '6' },
    store_hash: DEMO.storeHash,
    aud: DEMO.clientId
  })
  const jane = decodeJwt(await (await fetch(url, { headers: { cookie: await signIn(d, 5001) } })).text())
  t.match(jane, { customer: { id: 5001, group_id: null } })
  const out = await fetch(`${d.storefrontUrl}/logout`, { method: 'POST', redirect: 'manual' })
  t.equal(out.status, 303)
  t.match(out.headers.get('set-cookie'), /Max-Age=0/)
  t.equal((await fetch(`${d.storefrontUrl}/login`, {
    method: 'POST',
    body: 'customer_id=1',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }
  })).status, 400, 'unknown shopper')
})

t.test('the demo service exchanges the stand-in\'s tokens for the stand-in\'s origin only', async (t) => {
  const d = await demo(t)
  const { status, cookie, body } = await exchangeThroughService(d, await signIn(d, 4927))
  t.equal(status, 201)
  t.equal(body.customer?.id, 4927)
  const me = await fetch(`${d.serviceUrl}/api/me`,
    { headers: { origin: d.storefrontUrl, 'x-csrf': '1', cookie: cookie as string } })
  t.equal(me.status, 200)
  t.equal((await me.json() as { customer: { id: number } }).customer.id, 4927)
  const other = await fetch(`${d.serviceUrl}/session`, {
    method: 'POST',
    headers: { origin: 'http://localhost:1', 'x-csrf': '1', 'content-type': 'text/plain' },
    body: 'x.y.z'
  })
  t.equal(other.status, 403, 'no other origin is allowed')
  t.equal((await other.json() as { code: string }).code, 'BCX_ORIGIN_REFUSED')
})

t.test('with REDIS_URL the demo keeps sessions in Redis', async (t) => {
  const redis = await startRedis(t)
  const d = await demo(t, { redisUrl: redis.url })
  t.equal(d.store, 'redis')
  t.match(banner(d), /Session store: +Redis/)
  // ioredis connects in the background; /readyz would log its 503s while it does.
  for (let i = 0; i < 250 && d.app.redis?.status !== 'ready'; i++) {
    await new Promise((resolve) =>
      setTimeout(resolve, 20))
  }
  const { status } = await exchangeThroughService(d, await signIn(d, 4927))
  t.equal(status, 201)
  t.equal((await redis.client.keys('bcx:*:s:*')).length, 1)
})

t.test('a busy preferred port is replaced by a free one', async (t) => {
  const blocker = createServer()
  blocker.listen(0, '127.0.0.1')
  await once(blocker, 'listening')
  t.teardown(() => blocker.close())
  const taken = (blocker.address() as { port: number }).port
  const d = await demo(t, { servicePort: taken, storefrontPort: taken })
  t.not(d.serviceUrl, `http://127.0.0.1:${taken}`)
  t.not(d.storefrontUrl, `http://localhost:${taken}`)
  t.equal((await fetch(`${d.serviceUrl}/healthz`)).status, 200)
  t.equal((await fetch(`${d.storefrontUrl}/`)).status, 200)
})

t.test('npm run demo: no configuration, prints the address, logs each request at info without secrets, ' +
  'stops cleanly on SIGTERM', async (t) => {
  // A hostile environment must not matter: the demo sets what it needs. LOG_LEVEL unset: the demo's info.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', BC_CLIENT_ID: '', SESSION_SECRET: 'short' }
  delete env.REDIS_URL
  delete env.LOG_LEVEL
  const child = spawn(process.execPath, [...process.execArgv, DEMO_SCRIPT, '--port', '0', '--storefront-port', '0'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += String(d)
      const m = /Open the stand-in storefront: +(http:\/\/localhost:\d+)\//.exec(stdout)
      if (m !== null) resolve(m[1] as string)
    })
    child.on('exit', (code) => reject(new Error(`demo exited (${code}): ${stdout} ${stderr}`)))
  })
  const serviceUrl = (/Session service: +(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout) as RegExpExecArray)[1] as string
  t.match(stdout, /Session store: +in-process/)
  t.match(stdout, /npm run --silent token -- --customer-id 4927 --store-hash abc123/)
  // The app-mode part: the control panel that installs the app on a second store, and that store's storefront.
  const controlPanel =
    (/Control panel: +(http:\/\/127\.0\.0\.1:\d+\/manage\/app42)\n/.exec(stdout) as RegExpExecArray)[1] as string
  const appStorefront =
    (/That store's storefront: +(http:\/\/localhost:\d+)\//.exec(stdout) as RegExpExecArray)[1] as string
  t.match(stdout, /Try this:\n +1\. .*Install the app.*\n +2\. .*sign in.*\n +3\. .*Uninstall the app.*session ends/)
  t.match(await (await fetch(controlPanel)).text(), /id="install"/)
  t.match(await (await fetch(`${appStorefront}/`)).text(), /id="app-install" data-installed="false"/)
  const page = await fetch(`${address}/`)
  t.equal(page.status, 200)
  t.match(await page.text(), /Stand-in storefront/)

  // The storefront script's flow, by hand: what the terminal shows of it, and what it never shows.
  const d = { storefrontUrl: address, serviceUrl } as Demo
  const shopper = await signIn(d, 4927)
  const jwt = await (await fetch(`${address}/customer/current.jwt?app_client_id=${DEMO.clientId}`,
    { headers: { cookie: shopper } })).text()
  const exchange = await fetch(`${serviceUrl}/session`,
    { method: 'POST', headers: { origin: address, 'x-csrf': '1', 'content-type': 'text/plain' }, body: jwt })
  t.equal(exchange.status, 201)
  const cookie = (exchange.headers.get('set-cookie') as string).split(';', 1)[0] as string
  const me = await fetch(`${serviceUrl}/api/me`, { headers: { origin: address, 'x-csrf': '1', cookie } })
  t.equal(me.status, 200)
  t.equal((await fetch(`${serviceUrl}/session`,
    { method: 'DELETE', headers: { origin: address, 'x-csrf': '1', cookie } })).status, 204)

  const expected = [
    { msg: 'stand-in storefront request', method: 'GET', path: '/customer/current.jwt', status: 200 },
    { msg: 'request', method: 'POST', route: '/session', status: 201 },
    { msg: 'request', method: 'GET', route: '/api/me', status: 200 },
    { msg: 'request', method: 'DELETE', route: '/session', status: 204 }
  ]
  type Line = { level: number, msg: string, method?: string, path?: string, route?: string, status?: number }
  const lines = (): Line[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line)
  const flow = (): Line[] =>
    lines().filter((l) => l.path === '/customer/current.jwt' || l.route === '/session' || l.route === '/api/me')
  // The log line of a request is written once it is answered: give the pipe a moment on a busy machine.
  for (let i = 0; i < 100 && flow().length < expected.length; i++) {
    await new Promise((resolve) =>
      setTimeout(resolve, 50))
  }
  t.match(flow(), expected, 'the token fetch, the exchange, the read and the logout, in order')
  t.ok(flow().every((l) => l.level === 30), 'each at info')
  const signedIn = lines().find((l) => l.path === '/login')
  t.match(signedIn, { method: 'POST', status: 303 }, 'the stand-in\'s own requests too')
  const [header, payload, signature] = jwt.split('.') as [string, string, string]
  const signed = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  const sid = signed.slice(0, signed.lastIndexOf('.'))
  for (const [what, secret] of [['token header', header], ['token payload', payload],
    ['token signature', signature], ['session cookie', signed], ['session id', sid], ['its random part',
      sid.split('.').at(-1) as string]]) {
    t.notOk(stdout.includes(secret as string) || stderr.includes(secret as string), `no ${what} in the output`)
  }

  child.kill('SIGTERM')
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0)
})
