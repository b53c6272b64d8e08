// The browser proof's stage: a real redis-server, the real service listening on its own site, three stand-in
// storefronts (the store, another allowed origin, an origin outside the allow-list) and Debian's headless
// Chromium with a fresh profile. The service records every request it answers, so tests count exchanges.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { buildApp } from '../../src/app.js'
import { startStandInStorefront, type StandInStorefront } from '../../src/dev/stand-in-storefront.js'
import { loadScriptAsset } from '../../src/storefront/script-asset.js'
import { freePort } from '../support/redis-server.js'
import { CLIENT_ID, CLIENT_SECRET, STORE, startRedis, testConfig } from '../support/app.js'
import type { RedisServer } from '../support/redis-server.js'
import type { BcSessionCustomer } from '../../src/storefront/bc-session.js'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Why the browser proof cannot run here, or null when it can. */
export function browserMissing (): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `no Chromium at ${CHROMIUM}: the browser proof needs Debian's chromium package (apt-get install chromium; ` +
      '.ci/run installs it)'
}

/** What the stand-in page leaves in window.standIn once its script has run. */
export interface PageOutcome {
  done: boolean
  customer?: BcSessionCustomer | null
  error?: { code: string, message: string }
  me?: { status: number, body: { code?: string, customer?: { id: number } } }
}

declare global {
  interface Window { standIn?: PageOutcome }
}

export interface Deployment {
  storefrontHost: string
  serviceHost: string
  env: Record<string, string>
  /** Load the versioned URL with SRI, as the README recommends; else the bare URL. */
  pinned: boolean
  /** Chromium flags beyond CHROMIUM_ARGS. */
  browserArgs?: string[]
  /** How the stand-in store signs its tokens: HS512 as BigCommerce does (default), or HS256. */
  alg?: 'HS512' | 'HS256'
}

export interface ServiceRequest {
  method: string
  path: string
  status: number
  origin: string | undefined
  withCookie: boolean
  code: string | undefined
  /** Sec-Fetch-Mode as the browser sent it: cors, no-cors, navigate, ... */
  mode: string | undefined
}

export interface Site { url: string, standIn: StandInStorefront }

export interface Stage {
  context: BrowserContext
  page: Page
  redis: RedisServer
  serviceUrl: string
  /** The store's storefront (allowed), another allowed origin on the same site, an origin outside the allow-list. */
  store: Site
  otherAllowed: Site
  notAllowed: Site
  requests: ServiceRequest[]
  count: (method: string, path: string, from?: number) => number
}

type Tap = { teardown: (fn: () => unknown) => void }

export async function setUpStage (t: Tap, d: Deployment): Promise<Stage> {
  const redis = await startRedis(t)
  const [servicePort, storePort, otherPort, outsidePort] =
    await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const serviceUrl = `http://${d.serviceHost}:${servicePort}`
  const asset = loadScriptAsset()
  const site = async (port: number | undefined): Promise<Site> => {
    const standIn = await startStandInStorefront({
      serviceUrl,
      clientId: CLIENT_ID,
      secret: CLIENT_SECRET,
      storeHash: STORE,
      port,
      ...(d.alg !== undefined && { alg: d.alg }),
      ...(d.pinned && { script: { version: asset.version, integrity: asset.integrity } })
    })
    t.teardown(() => standIn.close())
    return { url: `http://${d.storefrontHost}:${standIn.port}`, standIn }
  }
  const [store, otherAllowed, notAllowed] = await Promise.all([site(storePort), site(otherPort), site(outsidePort)])

  const config = testConfig({
    REDIS_URL: redis.url,
    ALLOWED_ORIGINS: `${store.url},${otherAllowed.url}`,
    LOG_LEVEL: 'silent',
    ...d.env
  })
  const app = buildApp(config, { logger: false })
  const requests: ServiceRequest[] = []
  app.addHook('onSend', async (request, reply, payload) => {
    let code: string | undefined
    if (reply.statusCode >= 400 && typeof payload === 'string') {
      try { code = (JSON.parse(payload) as { code?: string }).code } catch {}
    }
    requests.push({
      method: request.method,
      path: request.url.split('?', 1)[0] as string,
      status: reply.statusCode,
      origin: request.headers.origin,
      withCookie: request.headers.cookie?.includes('bc_session=') === true,
      code,
      mode: request.headers['sec-fetch-mode'] as string | undefined
    })
  })
  t.teardown(() => app.close())
  await app.listen({ port: servicePort, host: '127.0.0.1' })
  for (let i = 0; i < 250 && app.redis?.status !== 'ready'; i++) await new Promise((resolve) => setTimeout(resolve, 20))

  const profile = mkdtempSync(join(tmpdir(), 'bcx-chromium-'))
  const context = await chromium.launchPersistentContext(profile,
    { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...(d.browserArgs ?? [])] })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? await context.newPage()
  return {
    context,
    page,
    redis,
    serviceUrl,
    store,
    otherAllowed,
    notAllowed,
    requests,
    count: (method, path, from = 0) => requests.slice(from).filter((r) => r.method === method && r.path === path).length
  }
}

/** Waits for the stand-in page's own script to finish, and answers what it saw. */
export async function outcome (page: Page): Promise<PageOutcome> {
  await page.waitForFunction(() => window.standIn?.done === true, undefined, { timeout: 30_000 })
  return await page.evaluate(() => window.standIn as PageOutcome)
}

export async function open (page: Page, url: string): Promise<PageOutcome> {
  await page.goto(url)
  return await outcome(page)
}

export async function reload (page: Page): Promise<PageOutcome> {
  await page.reload()
  return await outcome(page)
}

async function submit (page: Page, selector: string): Promise<PageOutcome> {
  await Promise.all([page.waitForEvent('load'), page.click(selector)])
  return await outcome(page)
}

/** Signs in on the stand-in storefront with its form (the page reloads). */
export async function signIn (page: Page, customerId: number): Promise<PageOutcome> {
  await page.selectOption('#sign-in select', String(customerId))
  return await submit(page, '#sign-in button')
}

/** Signs out of the stand-in storefront (not of the service: the script notices on the next page). */
export async function signOut (page: Page): Promise<PageOutcome> {
  return await submit(page, '#sign-out button')
}
