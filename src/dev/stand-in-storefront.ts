// A stand-in for a BigCommerce storefront, for the demo and the browser tests: a page that loads
// /storefront.js the way Script Manager does, and /customer/current.jwt signed with a demo secret.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import { mintCustomerToken } from './mint-token.js'
import { DEMO_SHOPPERS, escape, page } from './stand-in-page.js'
import type { AcceptedAlgorithm } from '../token/verify-token.js'

/** The demo's settings, shared by `npm run demo` and `npm run token` (never use them in production). */
export const DEMO = {
  clientId: 'demo-client-id',
  clientSecret: 'demo-client-secret-for-local-use-only',
  sessionSecret: 'demo-session-secret-for-local-use-only-0123456789',
  storeHash: 'abc123',
  /** The store that installs the app in the demo's app mode. */
  appStoreHash: 'app42',
  storeTokenKey: 'demo-store-token-key-for-local-use-only-0123456789'
} as const

export { DEMO_SHOPPERS, type Shopper } from './stand-in-page.js'

export interface StandInOptions {
  /** Origin of the session service, e.g. http://127.0.0.1:3000 (a function when it listens after the stand-in). */
  serviceUrl: string | (() => string)
  clientId?: string
  /** Signs /customer/current.jwt, as BigCommerce does with the app's client secret. */
  secret?: string
  /** HS512 as BigCommerce signs (default), or HS256 as in its documentation's example. */
  alg?: AcceptedAlgorithm
  storeHash?: string
  port?: number
  host?: string
  /** Load the versioned URL (?v=<version>), and pin it with SRI when `integrity` is given. */
  script?: { version?: string, integrity?: string }
  /** Told of every request the stand-in answered, as it is answered (the demo logs them). */
  onRequest?: (request: StandInRequest) => void
  /**
   * A store that gets the script by installing the app: the page says what its Script Manager holds
   * (`scripts`, the html the install created) and links to the control panel. The page loads the same
   * tag either way, so that before the install it shows the service refusing this origin.
   */
  app?: { scripts: () => readonly string[], controlPanelUrl: string }
}

export interface StandInRequest { method: string, path: string, status: number }

export interface StandInStorefront {
  port: number
  /** Every request the stand-in answered, oldest first (tests count token fetches with it). */
  requests: StandInRequest[]
  close (): Promise<void>
}

function readBody (req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk; if (body.length > 4096) req.destroy() })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

/** The app store's part of the page: what its Script Manager holds, and where to install the app. */
function appSection (app: NonNullable<StandInOptions['app']>): string {
  const scripts = app.scripts()
  const panel = `<a id="control-panel" href="${escape(app.controlPanelUrl)}">the control panel</a>`
  const notInstalled = [
    '<p id="app-install" data-installed="false">The app is <strong>not installed</strong> on this store: ' +
      'Script Manager has no script of it,',
    'and the service does not know this origin, so it refuses it ' +
      `(the browser reports <code>network_error</code>). Install it from ${panel},`,
    'then reload. This page loads the tag regardless, to show the refusal.</p>'
  ]
  const installed = [
    '<p id="app-install" data-installed="true">The app is <strong>installed</strong>: ' +
      'its install put this script in Script Manager through the',
    `Scripts API, and told the service this origin. Uninstall it from ${panel} and the shopper's session ends.</p>`,
    scripts.map((html) => `<pre>${escape(html)}</pre>`).join('')
  ]
  const state = (scripts.length === 0 ? notInstalled : installed).join('\n')
  return `<section><h2>The app in this store's Script Manager</h2>
${state}
</section>
`
}

/** Adds the app store's section under the page's heading. */
function withAppSection (html: string, app: StandInOptions['app']): string {
  if (app === undefined) return html
  const at = html.indexOf('</h1>')
  const cut = at === -1 ? html.indexOf('<body>') + '<body>'.length : at + '</h1>'.length
  return `${html.slice(0, cut)}
${appSection(app)}${html.slice(cut)}`
}

function cookieValue (req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return v.join('=')
  }
  return undefined
}

export async function startStandInStorefront (opts: StandInOptions): Promise<StandInStorefront> {
  const clientId = opts.clientId ?? DEMO.clientId
  const secret = opts.secret ?? DEMO.clientSecret
  const storeHash = opts.storeHash ?? DEMO.storeHash
  const requests: StandInStorefront['requests'] = []
  let cookieName = 'shopper'

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const id = Number(cookieValue(req, cookieName))
    const shopper = DEMO_SHOPPERS.find((s) => s.id === id) ?? null
    const hint = url.searchParams.get('hint') === '1'
    const back = (cookie: string): void => {
      res.writeHead(303, { location: hint ? '/?hint=1' : '/', 'set-cookie': cookie, 'cache-control': 'no-store' }).end()
    }

    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      const serviceUrl = typeof opts.serviceUrl === 'function' ? opts.serviceUrl() : opts.serviceUrl
      const html = page({ serviceUrl, clientId, storeHash, shopper, hint, script: opts.script })
      res.end(withAppSection(html, opts.app))
    } else if (req.method === 'GET' && url.pathname === '/customer/current.jwt') {
      if (url.searchParams.get('app_client_id') !== clientId) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown app_client_id')
      } else if (shopper === null) {
        res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('Not Found')
      } else {
        // BigCommerce's form: no jti, so two fetches within one second give the same token (the script copes).
        const jwt = await mintCustomerToken({
          secret,
          clientId,
          storeHash,
          customerId: shopper.id,
          email: shopper.email,
          groupId: shopper.groupId,
          ...(opts.alg !== undefined && { alg: opts.alg })
        })
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(jwt)
      }
    } else if (req.method === 'POST' && url.pathname === '/login') {
      const chosen = Number(new URLSearchParams(await readBody(req)).get('customer_id'))
      if (!DEMO_SHOPPERS.some((s) => s.id === chosen)) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown shopper')
      } else {
        back(`${cookieName}=${chosen}; Path=/; HttpOnly; SameSite=Lax`)
      }
    } else if (req.method === 'POST' && url.pathname === '/logout') {
      back(`${cookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`)
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found')
    }
    const answered = { method: req.method ?? 'GET', path: url.pathname, status: res.statusCode }
    requests.push(answered)
    opts.onRequest?.(answered)
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => { if (!res.headersSent) res.writeHead(500).end(); else res.destroy() })
  })
  server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  // Cookies ignore ports: one name per stand-in keeps two of them on one host apart (other-origin tests).
  cookieName = `shopper_${port}`
  return {
    port,
    requests,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
