// `npm run demo`: the service plus a stand-in storefront on a second site, with no configuration: the
// in-process session store unless REDIS_URL is set. Prints the address to open. The service also runs
// as a marketplace app: a stand-in BigCommerce's control panel installs it on a second store, whose own
// stand-in storefront signs shoppers in once the app is installed.
import closeWithGrace from 'close-with-grace'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { createServer } from 'node:net'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { buildApp, loggerOptions } from '../src/app.js'
import { ConfigError, loadConfig } from '../src/config.js'
import { startStandInBigCommerce, type StandInBigCommerce } from '../src/dev/stand-in-bigcommerce.js'
import {
  DEMO,
  startStandInStorefront,
  type StandInOptions,
  type StandInRequest,
  type StandInStorefront
} from '../src/dev/stand-in-storefront.js'
import { loadScriptAsset } from '../src/storefront/script-asset.js'

export interface DemoOptions {
  /** Preferred ports; a busy one is replaced by a free one. 0: any free port. */
  servicePort?: number
  storefrontPort?: number
  /** The app store's storefront, and the stand-in BigCommerce (its control panel and API). */
  appStorefrontPort?: number
  bigcommercePort?: number
  redisUrl?: string
  /** Default info: one line per request of the service and of the stand-ins, so the terminal shows the flow. */
  logLevel?: string
  /** Where the JSON log lines go instead of stdout (tests read the service's view of a browser's calls). */
  logStream?: { write: (line: string) => void }
}

export interface Demo {
  serviceUrl: string
  storefrontUrl: string
  /** The storefront of the store that installs the app (DEMO.appStoreHash). */
  appStorefrontUrl: string
  /** The stand-in control panel's page for that store: install, open, uninstall. */
  controlPanelUrl: string
  store: 'memory' | 'redis'
  app: FastifyInstance
  storefront: StandInStorefront
  appStorefront: StandInStorefront
  bigcommerce: StandInBigCommerce
  snippet: string
  close (): Promise<void>
}

const busy = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'EADDRINUSE'

/** The preferred port when it is free, else any free one: the service's public URL names it before it listens. */
async function freePort (preferred: number, host: string): Promise<number> {
  const probe = createServer()
  const listen = async (port: number): Promise<number> => await new Promise((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(port, host, () => { probe.off('error', reject); resolve((probe.address() as { port: number }).port) })
  })
  const port = await listen(preferred).catch(async (err: unknown) => {
    if (busy(err)) return await listen(0)
    throw err
  })
  await new Promise((resolve) => probe.close(resolve))
  return port
}

async function orAnyPort<T> (preferred: number, start: (port: number) => Promise<T>): Promise<T> {
  return await start(preferred).catch(async (err: unknown) => { if (busy(err)) return await start(0); throw err })
}

// On a terminal, one line per request: the service's request log ({method, route, status, ms}) and the
// stand-ins' ({method, path, status}); the fields the line shows are not repeated below it.
const PRETTY = {
  target: 'pino-pretty',
  options: {
    ignore: 'pid,hostname,reqId,method,route,path,status,ms',
    messageFormat: '{msg}{if route}: {method} {route} → {status} ({ms} ms){end}' +
      '{if path}: {method} {path} → {status}{end}'
  }
}

export async function startDemo (o: DemoOptions = {}): Promise<Demo> {
  const asset = loadScriptAsset()
  const host = '127.0.0.1'
  let serviceUrl = ''
  let log: FastifyBaseLogger | undefined
  const logged = (msg: string) => (r: StandInRequest): void => {
    log?.info({ method: r.method, path: r.path, status: r.status }, msg)
  }
  const started: Array<{ close: () => Promise<void> }> = []
  const closeAll = async (): Promise<void> => { for (const part of started.splice(0).reverse()) await part.close() }
  try {
    const bigcommerce = await orAnyPort(o.bigcommercePort ?? 3003, async (port) => await startStandInBigCommerce({
      port,
      host,
      controlPanel: { serviceUrl: () => serviceUrl },
      onRequest: logged('stand-in BigCommerce request')
    }))
    started.push(bigcommerce)
    const standIn = (port: number, extra: Partial<StandInOptions>): Promise<StandInStorefront> =>
      startStandInStorefront({
        serviceUrl: () => serviceUrl,
        host,
        onRequest: logged('stand-in storefront request'),
        ...extra,
        port
      })
    const storefront = await orAnyPort(o.storefrontPort ?? 3001, async (port) =>
      await standIn(port, { script: { version: asset.version, integrity: asset.integrity } }))
    started.push(storefront)
    const controlPanelUrl = `${bigcommerce.url}/manage/${DEMO.appStoreHash}`
    // The installed store loads the tag its install put in Script Manager: the bare URL, no SRI.
    const appStorefront = await orAnyPort(o.appStorefrontPort ?? 3002, async (port) => await standIn(port, {
      storeHash: DEMO.appStoreHash,
      onRequest: logged(`stand-in storefront ${DEMO.appStoreHash} request`),
      app: { scripts: () => bigcommerce.scriptTags(DEMO.appStoreHash), controlPanelUrl }
    }))
    started.push(appStorefront)
    // Two sites: the storefronts on localhost, the service on 127.0.0.1 (the cross-site deployment).
    const storefrontUrl = `http://localhost:${storefront.port}`
    const appStorefrontUrl = `http://localhost:${appStorefront.port}`
    // The app store's origin reaches the service only through its install, read from its sites.
    bigcommerce.store(DEMO.appStoreHash).sites = [{
      id: 1,
      channel_id: 1,
      url: appStorefrontUrl,
      urls: [{ type: 'primary', url: `${appStorefrontUrl}/` }]
    }]

    let port = await freePort(o.servicePort ?? 3000, host)
    for (let attempt = 1; ; attempt++) {
      const config = loadConfig({
        NODE_ENV: 'development',
        BC_CLIENT_ID: DEMO.clientId,
        BC_CLIENT_SECRET: DEMO.clientSecret,
        BC_STORE_HASHES: DEMO.storeHash,
        ALLOWED_ORIGINS: storefrontUrl,
        SESSION_SECRET: DEMO.sessionSecret,
        PUBLIC_URL: `http://${host}:${port}`,
        STORE_TOKEN_KEY: DEMO.storeTokenKey,
        BC_LOGIN_URL: bigcommerce.url,
        BC_API_URL: bigcommerce.url,
        REDIS_URL: o.redisUrl,
        LOG_LEVEL: o.logLevel ?? 'info'
      })
      const pretty = o.logStream !== undefined
        ? { stream: o.logStream }
        : process.stdout.isTTY ? { transport: PRETTY } : {}
      const app = buildApp(config, { logger: loggerOptions(config, pretty) })
      try {
        await app.listen({ port, host })
      } catch (err) {
        await app.close()
        // Taken between the probe and the listen: PUBLIC_URL names the port, so the app is built again.
        if (!busy(err) || attempt === 3) throw err
        port = await freePort(0, host)
        continue
      }
      started.push(app)
      log = app.log
      serviceUrl = `http://${host}:${port}`
      const snippet = `<script src="${serviceUrl}/storefront.js?v=${asset.version}" integrity="${asset.integrity}"` +
        ` crossorigin="anonymous" data-client-id="${DEMO.clientId}"></script>`
      return {
        serviceUrl,
        storefrontUrl,
        appStorefrontUrl,
        controlPanelUrl,
        store: config.redis.kind === 'memory' ? 'memory' : 'redis',
        app,
        storefront,
        appStorefront,
        bigcommerce,
        snippet,
        close: closeAll
      }
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}

// The walk-through's steps, one line each on the terminal.
const TRY_THIS = [
  '1. In the control panel, click "Install the app": the service keeps the store\'s token, ' +
    'reads its storefront\'s origin and puts its script in Script Manager.',
  '2. On that store\'s storefront, sign in as a shopper: the script exchanges the shopper\'s token (201) ' +
    'and the page shows the session.',
  '3. Back in the control panel, click "Uninstall the app": the session ends, ' +
    'and the service refuses that storefront again.'
]
const CURL_HEADERS = "-H 'X-CSRF: 1' -H 'Content-Type: text/plain'"

export function banner (demo: Demo): string {
  return `
bc-session-exchanger demo

  Open the stand-in storefront:  ${demo.storefrontUrl}/
  Session service:               ${demo.serviceUrl}  (OpenAPI: ${demo.serviceUrl}/docs)
  Session store:                 ${demo.store === 'memory'
    ? 'in-process (sessions vanish when the demo stops; set REDIS_URL to use Redis)'
    : 'Redis (REDIS_URL)'}

  The page loads the script as Script Manager would:
    ${demo.snippet}

  The app, installed on a store (${DEMO.appStoreHash}) from a stand-in BigCommerce control panel:
    Control panel:               ${demo.controlPanelUrl}
    That store's storefront:     ${demo.appStorefrontUrl}/
  Try this:
    ${TRY_THIS.join('\n    ')}

  Try the API with curl (demo client secret ${DEMO.clientSecret}, store ${DEMO.storeHash}):
    TOKEN=$(npm run --silent token -- --customer-id 4927 --store-hash ${DEMO.storeHash})
    curl -i -X POST ${demo.serviceUrl}/session -H 'Origin: ${demo.storefrontUrl}' ${CURL_HEADERS} --data "$TOKEN"

  Press Ctrl+C to stop.
`
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'storefront-port': { type: 'string' },
      'app-storefront-port': { type: 'string' },
      'bigcommerce-port': { type: 'string' }
    }
  })
  let demo: Demo
  try {
    demo = await startDemo({
      ...(values.port !== undefined && { servicePort: Number(values.port) }),
      ...(values['storefront-port'] !== undefined && { storefrontPort: Number(values['storefront-port']) }),
      ...(values['app-storefront-port'] !== undefined && { appStorefrontPort: Number(values['app-storefront-port']) }),
      ...(values['bigcommerce-port'] !== undefined && { bigcommercePort: Number(values['bigcommerce-port']) }),
      redisUrl: process.env.REDIS_URL,
      logLevel: process.env.LOG_LEVEL
    })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`demo: configuration refused: ${err.message}`)
    process.exit(1)
  }
  process.stdout.write(banner(demo))
  closeWithGrace({ delay: 5000 }, async () => { await demo.close() })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
