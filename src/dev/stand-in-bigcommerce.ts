// A stand-in for BigCommerce's login and API hosts on one loopback port, for tests and `npm run demo`
// (BC_LOGIN_URL and BC_API_URL both point at it): the OAuth token endpoint, the store API paths the
// service calls, rate-limit headers on every answer, and the control panel's signed payloads. With
// `controlPanel` it also serves a tiny control panel page per store (the demo's "install the app").
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { DEMO } from './stand-in-storefront.js'
import { controlPanelPage, type ControlPanelView } from './stand-in-control-panel.js'
import { isRecord } from '../lib/is-record.js'

export type SiteUrlType = 'primary' | 'canonical' | 'checkout'
export interface StandInSite {
  id: number
  channel_id: number
  url: string
  urls: Array<{ type: SiteUrlType, url: string }>
}
export interface StandInOrderProduct {
  product_id: number
  variant_id: number
  name: string
  sku: string
  quantity: number
}
export interface StandInOrder { id: number, customer_id: number, date_created: string, products: StandInOrderProduct[] }
type Entity = Record<string, unknown>

export interface StandInStore {
  hash: string
  /** X-Auth-Token values this store accepts. */
  tokens: Set<string>
  sites: StandInSite[]
  /** By uuid: each script as created or last updated. */
  scripts: Map<string, Entity>
  hooks: Map<number, Entity>
  orders: StandInOrder[]
  /** Requests per window, as X-Rate-Limit-Requests-Quota says. */
  quota: number
  windowMs: number
}

/** A failure every request gets while set (none: answer normally). Fault answers carry no rate-limit headers. */
export type Fault =
  | 'unauthorized'
  | 'forbidden'
  | 'throttled'
  | 'throttled-bare'
  | 'error'
  | 'hang'
  | 'garbage'
  | 'redirect'

export interface RecordedRequest {
  method: string
  /** Path with query, as received. */
  url: string
  path: string
  token: string | undefined
  /** Parsed JSON or form body; undefined without one. */
  body: unknown
}

export interface SignPayloadOptions {
  user?: { id: number, email: string }
  owner?: { id: number, email: string }
  /** Another signing secret (a wrong or a previous one). */
  secret?: string
  /** Seconds since the epoch; default now. */
  iat?: number
  ttl?: number
  /** Added or replacing claims (aud, iss, sub, jti, ...). */
  claims?: Record<string, unknown>
  /** Claims to leave out. */
  omit?: string[]
}

export interface StandInBigCommerceOptions {
  clientId?: string
  clientSecret?: string
  port?: number
  host?: string
  onRequest?: (request: { method: string, path: string, status: number }) => void
  /**
   * Serves GET /manage/{hash}, a control panel page for each store already mentioned (store()), whose
   * buttons open the app's callbacks on the service as BigCommerce's control panel does. Off by default.
   */
  controlPanel?: { serviceUrl: string | (() => string) }
}

export interface StandInBigCommerce {
  /** Base URL of both hosts: BC_LOGIN_URL and BC_API_URL. */
  url: string
  clientId: string
  clientSecret: string
  requests: RecordedRequest[]
  /** While set, every request fails this way. */
  fault: Fault | null
  /** The store's state, created on first mention with one site at https://store-{hash}.mybigcommerce.com. */
  store (hash: string): StandInStore
  /** Accepts a token for the store's API without an install (single-store credentials); returns it. */
  grantToken (hash: string, token?: string): string
  /** An authorization code, as the control panel hands the install callback; good for one exchange. */
  issueCode (hash: string, opts?: { scope?: string, user?: { id: number, email: string } }): string
  /** The install callback's URL on `serviceUrl`, with a fresh code: what the control panel opens. */
  installUrl (serviceUrl: string, hash: string, opts?: { scope?: string, user?: { id: number, email: string } }): string
  /** The control panel's `signed_payload_jwt` for load, uninstall and remove-user. */
  signPayload (hash: string, opts?: SignPayloadOptions): Promise<string>
  /** The app is installed on the store: a code was exchanged since the control panel's last uninstall. */
  installed (hash: string): boolean
  /** The html of the store's enabled Script Manager scripts, as the app created or updated them (none: []). */
  scriptTags (hash: string): string[]
  /** The next `count` API calls answer 429 with Retry-After (seconds). */
  throttleNext (count: number, retryAfterSeconds?: number): void
  /** Calls received for `METHOD /path` (no query), or for every method when only a path is given. */
  calls (methodAndPath: string): number
  close (): Promise<void>
}

const DEFAULT_SCOPE = [
  'store_v2_content',
  'store_v2_information_read_only',
  'store_v2_orders_read_only',
  'store_v2_customers_read_only'
].join(' ')

function readBody (req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk; if (body.length > 65536) req.destroy() })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

function parseBody (req: IncomingMessage, text: string): unknown {
  if (text === '') return undefined
  const form = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
  if (form) return Object.fromEntries(new URLSearchParams(text))
  try { return JSON.parse(text) } catch { return text }
}

function json (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

const notFound = (res: ServerResponse): void =>
  json(res, 404, { status: 404, title: 'The requested resource was not found.' })
const now = (): string => new Date().toISOString()

export async function startStandInBigCommerce (opts: StandInBigCommerceOptions = {}): Promise<StandInBigCommerce> {
  const clientId = opts.clientId ?? DEMO.clientId
  const clientSecret = opts.clientSecret ?? DEMO.clientSecret
  const stores = new Map<string, StandInStore>()
  const codes = new Map<string, { hash: string, scope: string, user: { id: number, email: string } }>()
  const usage = new Map<string, { used: number, windowStart: number }>()
  const counts = new Map<string, number>()
  const hanging = new Set<ServerResponse>()
  let throttled = { count: 0, retryAfter: 1 }
  let nextHookId = 1
  // Stores whose code was exchanged; the control panel's uninstall takes a store out.
  const installedApps = new Set<string>()

  function store (hash: string): StandInStore {
    let s = stores.get(hash)
    if (s === undefined) {
      const url = `https://store-${hash}.mybigcommerce.com`
      s = {
        hash,
        tokens: new Set(),
        sites: [{ id: 1000, channel_id: 1, url, urls: [{ type: 'primary', url }] }],
        scripts: new Map(),
        hooks: new Map(),
        orders: [],
        quota: 150,
        windowMs: 30_000
      }
      stores.set(hash, s)
    }
    return s
  }

  /** One call against the store's quota; the headers BigCommerce sends with its answer. */
  function spend (s: StandInStore): { headers: Record<string, string>, exhausted: boolean } {
    const t = Date.now()
    let u = usage.get(s.hash)
    if (u === undefined || t - u.windowStart >= s.windowMs) usage.set(s.hash, u = { used: 0, windowStart: t })
    const exhausted = u.used >= s.quota
    if (!exhausted) u.used++
    return {
      exhausted,
      headers: {
        'x-rate-limit-requests-left': String(s.quota - u.used),
        'x-rate-limit-requests-quota': String(s.quota),
        'x-rate-limit-time-reset-ms': String(Math.max(0, u.windowStart + s.windowMs - t)),
        'x-rate-limit-time-window-ms': String(s.windowMs)
      }
    }
  }

  function tokenEndpoint (res: ServerResponse, body: unknown): void {
    const p = isRecord(body) ? body : {}
    if (p.client_id !== clientId || p.client_secret !== clientSecret) {
      return json(res, 401, { error: 'Invalid client id or client secret.' })
    }
    if (p.grant_type !== 'authorization_code') return json(res, 400, { error: 'The grant type is not supported.' })
    const grant = typeof p.code === 'string' ? codes.get(p.code) : undefined
    if (grant === undefined || p.context !== `stores/${grant.hash}` || typeof p.redirect_uri !== 'string') {
      return json(res, 400, { error: 'Invalid code, context or redirect_uri.' })
    }
    codes.delete(p.code as string)
    installedApps.add(grant.hash)
    const token = `bc-token-${randomBytes(12).toString('hex')}`
    // A new install (or a re-install) replaces the store's token.
    const s = store(grant.hash)
    s.tokens = new Set([token])
    json(res, 200, {
      access_token: token,
      scope: typeof p.scope === 'string' ? p.scope : grant.scope,
      user: { id: grant.user.id, username: grant.user.email, email: grant.user.email },
      owner: { id: grant.user.id, username: grant.user.email, email: grant.user.email },
      context: `stores/${grant.hash}`,
      account_uuid: randomUUID()
    })
  }

  function collection (
    res: ServerResponse,
    method: string,
    rest: string,
    body: unknown,
    items: Map<string, Entity> | Map<number, Entity>,
    create: (b: Entity) => [string | number, Entity]
  ): void {
    const map = items as Map<string | number, Entity>
    if (rest === '') {
      if (method === 'GET') {
        const pagination = { total: map.size, count: map.size, per_page: 50, current_page: 1, total_pages: 1 }
        return json(res, 200, { data: [...map.values()], meta: { pagination } })
      }
      if (method !== 'POST' || !isRecord(body)) {
        return json(res, 422, { status: 422, title: 'The request body is not valid JSON.' })
      }
      const [key, created] = create(body)
      map.set(key, created)
      return json(res, 200, { data: created, meta: {} })
    }
    const key = [...map.keys()].find((k) => String(k) === rest.slice(1))
    const found = key === undefined ? undefined : map.get(key)
    if (key === undefined || found === undefined) return notFound(res)
    if (method === 'GET') return json(res, 200, { data: found, meta: {} })
    if (method === 'PUT' && isRecord(body)) {
      const updated = { ...found, ...body, date_modified: now(), updated_at: Math.floor(Date.now() / 1000) }
      map.set(key, updated)
      return json(res, 200, { data: updated, meta: {} })
    }
    if (method === 'DELETE') {
      map.delete(key)
      res.writeHead(204).end()
      return
    }
    notFound(res)
  }

  function orders (res: ServerResponse, s: StandInStore, rest: string, url: URL): void {
    if (rest === '') {
      const customer = url.searchParams.get('customer_id')
      const found = s.orders
        .filter((o) => customer === null || o.customer_id === Number(customer))
        .sort((a, b) => Date.parse(b.date_created) - Date.parse(a.date_created))
        .slice(0, Number(url.searchParams.get('limit') ?? 50))
        .map(({ products, ...order }) => ({ ...order, status: 'Completed', total_inc_tax: '10.0000' }))
      // v2 lists answer 204 No Content when nothing matches.
      if (found.length === 0) { res.writeHead(204).end(); return }
      return json(res, 200, found)
    }
    const order = /^\/(\d+)\/products$/.exec(rest)
    const found = order === null ? undefined : s.orders.find((o) => o.id === Number(order[1]))
    if (found === undefined) return json(res, 404, [{ status: 404, message: 'The requested resource was not found.' }])
    json(res, 200, found.products.map((p, i) => ({
      id: found.id * 100 + i,
      order_id: found.id,
      ...p,
      base_price: '5.0000'
    })))
  }

  function storeApi (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    token: string | undefined,
    body: unknown
  ): void {
    const match = /^\/stores\/([^/]+)(\/v[23]\/[^?]*)$/.exec(url.pathname)
    const s = match === null ? undefined : stores.get(match[1] as string)
    if (match === null || s === undefined || token === undefined || !s.tokens.has(token)) {
      return json(res, 401, { status: 401, title: 'You are not authorized.' })
    }
    const quota = spend(s)
    if (throttled.count > 0) {
      throttled.count--
      const headers = { ...quota.headers, 'retry-after': String(throttled.retryAfter) }
      return json(res, 429, { status: 429, title: 'Too many requests' }, headers)
    }
    if (quota.exhausted) return json(res, 429, { status: 429, title: 'Too many requests' }, quota.headers)
    const method = req.method ?? 'GET'
    const path = match[2] as string
    for (const [name, value] of Object.entries(quota.headers)) res.setHeader(name, value)
    if (path === '/v3/sites' && method === 'GET') {
      const sites = s.sites.map((site) => ({
        ...site,
        urls: site.urls.map((u) => ({ ...u, created_at: now(), updated_at: now() }))
      }))
      return json(res, 200, { data: sites, meta: {} })
    }
    if (path.startsWith('/v3/content/scripts')) {
      return collection(res, method, path.slice('/v3/content/scripts'.length), body, s.scripts, (b) => {
        const uuid = randomUUID()
        return [uuid, { ...b, uuid, date_created: now(), date_modified: now() }]
      })
    }
    if (path.startsWith('/v3/hooks')) {
      return collection(res, method, path.slice('/v3/hooks'.length), body, s.hooks, (b) => {
        const id = nextHookId++
        const t = Math.floor(Date.now() / 1000)
        return [id, {
          id,
          client_id: clientId,
          store_hash: s.hash,
          is_active: true,
          headers: null,
          ...b,
          created_at: t,
          updated_at: t
        }]
      })
    }
    if (path.startsWith('/v2/orders') && method === 'GET') return orders(res, s, path.slice('/v2/orders'.length), url)
    notFound(res)
  }

  function faulty (res: ServerResponse, fault: Fault): void {
    switch (fault) {
      case 'hang': hanging.add(res); return
      case 'unauthorized': return json(res, 401, [{ status: 401, message: 'You are not authorized' }])
      case 'forbidden': return json(res, 403, [{ status: 403, message: 'You don\'t have a required scope' }])
      case 'throttled': return json(res, 429, { status: 429 }, {
        'x-rate-limit-time-reset-ms': '15000',
        'x-rate-limit-requests-left': '0'
      })
      case 'throttled-bare': return json(res, 429, { status: 429 })
      case 'error': return json(res, 500, { status: 500, title: 'Internal error' })
      case 'garbage': res.writeHead(200, { 'content-type': 'application/json' }).end('{"not": "a list"'); return
      case 'redirect': res.writeHead(302, { location: `${api.url}/elsewhere` }).end()
    }
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const header = req.headers['x-auth-token']
    const token = typeof header === 'string' ? header : undefined
    const body = parseBody(req, await readBody(req))
    const method = req.method ?? 'GET'
    // The control panel is the merchant's browser's page, not an API call: neither recorded nor faulted.
    if (opts.controlPanel !== undefined && url.pathname.startsWith('/manage/')) {
      await controlPanel(res, method, url.pathname, opts.controlPanel)
      opts.onRequest?.({ method, path: url.pathname, status: res.statusCode })
      return
    }
    api.requests.push({ method, url: req.url ?? '/', path: url.pathname, token, body })
    counts.set(`${method} ${url.pathname}`, (counts.get(`${method} ${url.pathname}`) ?? 0) + 1)
    if (api.fault !== null) faulty(res, api.fault)
    else if (method === 'POST' && url.pathname === '/oauth2/token') tokenEndpoint(res, body)
    else storeApi(req, res, url, token, body)
    if (res.writableEnded) opts.onRequest?.({ method, path: url.pathname, status: res.statusCode })
  }

  /**
   * GET /manage/{hash}: the page; POST /manage/{hash}/install, /load, /uninstall: 303 to the app's
   * callback with a fresh code or signed payload, as the control panel opens it (top-level here: the
   * callbacks' pages may be framed by BigCommerce's own hosts only).
   */
  async function controlPanel (
    res: ServerResponse,
    method: string,
    path: string,
    panel: { serviceUrl: string | (() => string) }
  ): Promise<void> {
    const match = /^\/manage\/([A-Za-z0-9]{1,64})(?:\/(install|load|uninstall))?$/.exec(path)
    const hash = match?.[1]
    const action = match?.[2]
    const text = (status: number, message: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(message)
    }
    if (hash === undefined || !stores.has(hash)) return text(404, 'No such store in this stand-in control panel.')
    const wrongMethod = action === undefined ? method !== 'GET' : method !== 'POST'
    if (wrongMethod) return text(405, action === undefined ? 'GET only.' : 'POST only (a button of the control panel).')
    const configured = typeof panel.serviceUrl === 'function' ? panel.serviceUrl() : panel.serviceUrl
    const serviceUrl = configured.replace(/\/+$/, '')
    const s = store(hash)
    if (action === undefined) {
      const view: ControlPanelView = {
        hash,
        serviceUrl,
        installed: api.installed(hash),
        sites: s.sites.map((site) => site.url),
        scripts: api.scriptTags(hash),
        hooks: [...s.hooks.values()].map((h) => ({
          scope: String(h.scope),
          destination: String(h.destination),
          active: h.is_active !== false
        }))
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      res.end(controlPanelPage(view))
      return
    }
    let location: string
    if (action === 'install') {
      location = api.installUrl(serviceUrl, hash)
    } else {
      if (action === 'uninstall') {
        // BigCommerce takes the app's auto_uninstall scripts out of Script Manager with the app.
        for (const [uuid, script] of s.scripts) if (script.auto_uninstall === true) s.scripts.delete(uuid)
        installedApps.delete(hash)
      }
      location = `${serviceUrl}/bigcommerce/${action}?signed_payload_jwt=${await api.signPayload(hash)}`
    }
    res.writeHead(303, { location, 'cache-control': 'no-store' }).end()
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => { if (!res.headersSent) res.writeHead(500).end(); else res.destroy() })
  })

  const api: StandInBigCommerce = {
    url: '',
    clientId,
    clientSecret,
    requests: [],
    fault: null,
    store,
    grantToken (hash, token = `bc-token-${randomBytes(12).toString('hex')}`) {
      store(hash).tokens.add(token)
      return token
    },
    issueCode (hash, { scope = DEFAULT_SCOPE, user = { id: 9001, email: `owner@${hash}.example` } } = {}) {
      store(hash)
      const code = `code-${randomBytes(9).toString('hex')}`
      codes.set(code, { hash, scope, user })
      return code
    },
    installUrl (serviceUrl, hash, o = {}) {
      const query = new URLSearchParams({
        code: api.issueCode(hash, o),
        scope: o.scope ?? DEFAULT_SCOPE,
        context: `stores/${hash}`,
        account_uuid: randomUUID()
      })
      return `${serviceUrl.replace(/\/+$/, '')}/bigcommerce/auth?${query.toString()}`
    },
    async signPayload (hash, o = {}) {
      const iat = o.iat ?? Math.floor(Date.now() / 1000)
      const user = o.user ?? { id: 9001, email: `owner@${hash}.example` }
      const claims: Record<string, unknown> = {
        aud: clientId,
        iss: 'bc',
        iat,
        nbf: iat - 5,
        exp: iat + (o.ttl ?? 24 * 3600),
        jti: randomUUID(),
        sub: `stores/${hash}`,
        user: { ...user, locale: 'en-US' },
        owner: o.owner ?? user,
        url: '/',
        channel_id: null,
        ...o.claims
      }
      for (const name of o.omit ?? []) Reflect.deleteProperty(claims, name)
      const key = new TextEncoder().encode(o.secret ?? clientSecret)
      return await new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'HS256' }).sign(key)
    },
    installed (hash) {
      return installedApps.has(hash)
    },
    scriptTags (hash) {
      // A storefront renders the enabled ones only.
      return [...stores.get(hash)?.scripts.values() ?? []].filter((script) => script.enabled !== false)
        .map((script) => script.html).filter((html): html is string => typeof html === 'string')
    },
    throttleNext (count, retryAfterSeconds = 1) {
      throttled = { count, retryAfter: retryAfterSeconds }
    },
    calls (methodAndPath) {
      if (methodAndPath.includes(' ')) return counts.get(methodAndPath) ?? 0
      let sum = 0
      for (const [key, n] of counts) if (key.slice(key.indexOf(' ') + 1) === methodAndPath) sum += n
      return sum
    },
    async close () {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  const host = opts.host ?? '127.0.0.1'
  server.listen(opts.port ?? 0, host)
  await once(server, 'listening')
  api.url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`
  return api
}
