// A stand-in for a BigCommerce storefront, for the demo and the browser tests: a page that loads
// /storefront.js the way Script Manager does, and /customer/current.jwt signed with a demo secret.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import { mintCustomerToken } from './mint-token.js'
import type { AcceptedAlgorithm } from '../token/verify-token.js'

/** The demo's settings, shared by `npm run demo` and `npm run token` (never use them in production). */
export const DEMO = {
  clientId: 'demo-client-id',
  clientSecret: 'demo-client-secret-for-local-use-only',
  sessionSecret: 'demo-session-secret-for-local-use-only-0123456789',
  storeHash: 'abc123'
} as const

export interface Shopper { id: number, name: string, email: string, groupId: string | null }

export const DEMO_SHOPPERS: readonly Shopper[] = [
  { id: 4927, name: 'John Doe', email: 'john.doe@gmail.com', groupId: '6' },
  { id: 5001, name: 'Jane Roe', email: 'jane.roe@example.com', groupId: null },
  { id: 6042, name: 'Sam Lee', email: 'sam.lee@example.com', groupId: '2' }
]

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
}

export interface StandInStorefront {
  port: number
  /** Every request the stand-in answered, oldest first (tests count token fetches with it). */
  requests: Array<{ method: string, path: string, status: number }>
  close (): Promise<void>
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function readBody (req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk; if (body.length > 4096) req.destroy() })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

function cookieValue (req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return v.join('=')
  }
  return undefined
}

// The page: what the storefront believes, what the service answers, and the controls.
function page (o: { serviceUrl: string, clientId: string, storeHash: string, shopper: Shopper | null, hint: boolean, script: StandInOptions['script'] }): string {
  const attributes: Array<[string, string]> = [
    ['src', `${o.serviceUrl}/storefront.js${o.script?.version !== undefined ? `?v=${o.script.version}` : ''}`],
    ...(o.script?.integrity !== undefined ? [['integrity', o.script.integrity], ['crossorigin', 'anonymous']] as Array<[string, string]> : []),
    ['data-client-id', o.clientId],
    ...(o.hint ? [['data-customer-id', o.shopper === null ? '' : String(o.shopper.id)]] as Array<[string, string]> : [])
  ]
  const tag = `<script ${attributes.map(([name, value]) => `${name}="${escape(value)}"`).join(' ')}></script>`
  const mode = o.hint ? '?hint=1' : ''
  const options = DEMO_SHOPPERS.map((s) => `<option value="${s.id}">${escape(s.name)} (${s.id})</option>`).join('')
  const who = o.shopper === null ? 'a guest' : `${escape(o.shopper.name)} &lt;${escape(o.shopper.email)}&gt; (customer ${o.shopper.id})`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stand-in storefront · ${escape(o.storeHash)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem;white-space:pre-wrap}
section{border:1px solid #ddd;border-radius:6px;padding:.2rem 1rem;margin:1rem 0}span{overflow-wrap:anywhere}</style></head>
<body>
<h1>Stand-in storefront <small>(store ${escape(o.storeHash)})</small></h1>
<section><h2>The store says</h2>
<p id="storefront-shopper">Signed in as ${who}.</p>
<form id="sign-in" method="post" action="/login${mode}">Sign in as <select name="customer_id">${options}</select> <button>Sign in</button></form>
<form id="sign-out" method="post" action="/logout${mode}"><button ${o.shopper === null ? 'disabled' : ''}>Sign out of the store</button></form>
</section>
<section><h2>The session service says</h2>
<p><code>BcSession.ready()</code>: <span id="service-session">…</span></p>
<p><code>BcSession.fetch('/api/me')</code>: <span id="api-me">…</span></p>
<p><button id="service-logout" type="button">BcSession.logout()</button> ends the service session only (not the store login).</p>
</section>
<p>Mode: ${o.hint
    ? 'with <code>data-customer-id</code> (one <code>GET /session</code> per page). <a id="mode" href="/">Switch to no hint</a>'
    : 'without a hint (a token fetch and a <code>GET /session</code> per page). <a id="mode" href="/?hint=1">Switch to <code>data-customer-id</code></a>'}</p>
<p>The script tag, as Script Manager inserts it:</p>
<pre>${escape(tag)}</pre>
${tag}
<script>
(async function () {
  var out = window.standIn = { done: false }
  var show = function (id, text) { document.getElementById(id).textContent = text }
  document.getElementById('service-logout').onclick = async function () {
    try { await window.BcSession.logout(); show('service-session', 'ended by logout()') } catch (err) { show('service-session', 'logout failed: ' + err.code) }
  }
  try {
    var customer = out.customer = await window.BcSession.ready()
    show('service-session', customer === null ? 'nobody (guest)' : customer.email + ' (customer ' + customer.id + ', store ' + customer.store_hash + ')')
    var res = await window.BcSession.fetch('/api/me')
    out.me = { status: res.status, body: await res.json() }
    show('api-me', res.status + ' ' + JSON.stringify(out.me.body))
  } catch (err) {
    out.error = { code: err.code, message: err.message }
    show('service-session', 'error ' + err.code + ': ' + err.message)
  }
  out.done = true
})()
</script>
</body></html>
`
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
      res.end(page({ serviceUrl: typeof opts.serviceUrl === 'function' ? opts.serviceUrl() : opts.serviceUrl, clientId, storeHash, shopper, hint, script: opts.script }))
    } else if (req.method === 'GET' && url.pathname === '/customer/current.jwt') {
      if (url.searchParams.get('app_client_id') !== clientId) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown app_client_id')
      } else if (shopper === null) {
        res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('Not Found')
      } else {
        // BigCommerce's form: no jti, so two fetches within one second give the same token (the script copes).
        const jwt = await mintCustomerToken({ secret, clientId, storeHash, customerId: shopper.id, email: shopper.email, groupId: shopper.groupId, ...(opts.alg !== undefined && { alg: opts.alg }) })
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
    requests.push({ method: req.method ?? 'GET', path: url.pathname, status: res.statusCode })
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
