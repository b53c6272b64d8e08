// Runs the storefront script in a fresh VM context with a scripted fetch: every call is recorded, every
// answer comes from a handler, and timers run at once (their delays are recorded).
import { readFileSync } from 'node:fs'
import { createContext, runInContext } from 'node:vm'
import { scriptPath } from '../../src/storefront/script-asset.js'
import { mintCustomerToken } from '../../src/dev/mint-token.js'
import type { BcSession } from '../../src/storefront/bc-session.js'

export const SERVICE = 'https://sessions.example.com'
export const PAGE = 'https://store-abc123.mybigcommerce.com'
const SOURCE = readFileSync(scriptPath(), 'utf8')

export interface Customer { id: number, email: string, group_id: string | null, store_hash: string }
export const JOHN: Customer = { id: 4927, email: 'john.doe@gmail.com', group_id: '6', store_hash: 'abc123' }
export const JANE: Customer = { id: 5001, email: 'jane.roe@example.com', group_id: null, store_hash: 'abc123' }

export interface Call {
  method: string,
  url: string,
  headers: Record<string, string>,
  credentials: string | undefined,
  body: string | undefined
}
export type Handler = (call: Call, world: World) => Response | Promise<Response>

/** What the fake service and store hold: the session this browser's cookie names, and the store's shopper. */
export interface World {
  session: Customer | null
  shopper: Customer | null
  /** POST /session 201 without keeping the session (a browser that drops the cookie). */
  dropCookie: boolean
}

export const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

export const errorJson = (status: number, code: string, message = code): Response =>
  json(status, { statusCode: status, code, error: 'Error', message })

const sessionBody = (c: Customer): unknown => ({
  customer: { id: c.id, email: c.email, group_id: c.group_id },
  store_hash: c.store_hash,
  expires_at: new Date(Date.now() + 1800_000).toISOString()
})

export async function tokenFor (c: Customer): Promise<string> {
  return await mintCustomerToken({
    secret: 'not-checked-by-the-script',
    clientId: 'cid',
    customerId: c.id,
    storeHash: c.store_hash,
    email: c.email,
    groupId: c.group_id
  })
}

function customerOfToken (token: string): Customer {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] as string,
    'base64url').toString()) as { customer: { id: number, email: string, group_id: string | null }, store_hash: string }
  return { ...payload.customer, store_hash: payload.store_hash }
}

/** A service and store that behave like the real ones. */
export const DEFAULT_HANDLERS: Record<string, Handler> = {
  'GET /customer/current.jwt': async (_call, w) =>
    w.shopper === null ? new Response('Not Found', { status: 404 }) : new Response(await tokenFor(w.shopper)),
  'GET /session': (_call, w) =>
    w.session === null ? errorJson(401, 'BCX_UNAUTHENTICATED') : json(200, sessionBody(w.session)),
  'POST /session': (call, w) => {
    const c = customerOfToken((JSON.parse(call.body as string) as { token: string }).token)
    w.session = w.dropCookie ? null : c
    return json(201, sessionBody(c))
  },
  'DELETE /session': (_call, w) => { w.session = null; return new Response(null, { status: 204 }) },
  'GET /api/me': (_call, w) =>
    w.session === null ? errorJson(401, 'BCX_UNAUTHENTICATED') : json(200, sessionBody(w.session))
}

export interface Loaded {
  BcSession: BcSession
  calls: Call[]
  /** Calls other than the store's token endpoint. */
  serviceCalls: () => Call[]
  count: (key: string) => number
  delays: number[]
  consoleLines: string[]
  world: World
  /** Runs the script again in the same page (as a second script tag would). */
  runAgain: () => void
  /** Lets the eager ready() started at load settle. */
  settle: () => Promise<void>
  window: Record<string, unknown>
}

export interface LoadOptions {
  attributes?: Record<string, string>
  world?: Partial<World>
  handlers?: Record<string, Handler>
}

export function loadScript ({
  attributes = { 'data-client-id': 'cid' }, world: w = {},
  handlers = {}
}: LoadOptions = {}): Loaded {
  const world: World = { session: null, shopper: null, dropCookie: false, ...w }
  const calls: Call[] = []
  const delays: number[] = []
  const consoleLines: string[] = []
  const all = { ...DEFAULT_HANDLERS, ...handlers }
  const scriptElement = {
    src: `${SERVICE}/storefront.js?v=1`,
    getAttribute: (name: string) => attributes[name] ?? null,
    hasAttribute: (name: string) => name in attributes
  }
  const record = (...args: unknown[]): void => { consoleLines.push(args.map(String).join(' ')) }
  const sandbox: Record<string, unknown> = {
    document: { currentScript: scriptElement, baseURI: `${PAGE}/`, querySelector: () => scriptElement },
    async fetch (input: string, init: RequestInit = {}) {
      const url = new URL(input, `${PAGE}/`)
      const headers: Record<string, string> = {}
      new Headers(init.headers).forEach((value, key) => { headers[key] = value })
      const call: Call = {
        method: init.method ?? 'GET',
        url: url.href,
        headers,
        credentials: init.credentials,
        body: init.body as string | undefined
      }
      calls.push(call)
      const handler = all[`${call.method} ${url.pathname}`]
      if (handler === undefined) throw new TypeError('Failed to fetch')
      return await handler(call, world)
    },
    setTimeout (fn: () => void, ms: number) { delays.push(ms); setImmediate(fn); return 0 },
    console: { log: record, info: record, warn: record, error: record, debug: record },
    Headers,
    URL,
    atob,
    AbortSignal,
    CustomEvent,
    Response,
    dispatchEvent: () => true
  }
  sandbox.window = sandbox
  createContext(sandbox)
  const run = (): void => { runInContext(SOURCE, sandbox) }
  run()
  return {
    get BcSession () { return sandbox.BcSession as BcSession },
    calls,
    serviceCalls: () => calls.filter((c) => c.url.startsWith(SERVICE)),
    count: (key) => calls.filter((c) => `${c.method} ${new URL(c.url).pathname}` === key).length,
    delays,
    consoleLines,
    world,
    runAgain: run,
    settle: async () => { try { await (sandbox.BcSession as BcSession).ready() } catch {} },
    window: sandbox
  }
}
