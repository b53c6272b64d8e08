// `npm run demo`: the service plus a stand-in storefront on a second site, with no configuration: the
// in-process session store unless REDIS_URL is set. Prints the address to open.
import closeWithGrace from 'close-with-grace'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { buildApp, REDACTED_PATHS } from '../src/app.js'
import { ConfigError, loadConfig } from '../src/config.js'
import { DEMO, startStandInStorefront, type StandInRequest, type StandInStorefront } from '../src/dev/stand-in-storefront.js'
import { loadScriptAsset } from '../src/storefront/script-asset.js'

export interface DemoOptions {
  /** Preferred ports; a busy one is replaced by a free one. 0: any free port. */
  servicePort?: number
  storefrontPort?: number
  redisUrl?: string
  /** Default info: one line per request of the service and of the stand-in, so the terminal shows the flow. */
  logLevel?: string
}

export interface Demo {
  serviceUrl: string
  storefrontUrl: string
  store: 'memory' | 'redis'
  app: FastifyInstance
  storefront: StandInStorefront
  snippet: string
  close (): Promise<void>
}

const busy = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'EADDRINUSE'

// On a terminal, one line per request: the service's request log ({method, route, status, ms}) and the
// stand-in's ({method, path, status}); the fields the line shows are not repeated below it.
const PRETTY = {
  target: 'pino-pretty',
  options: {
    ignore: 'pid,hostname,reqId,method,route,path,status,ms',
    messageFormat: '{msg}{if route}: {method} {route} → {status} ({ms} ms){end}{if path}: {method} {path} → {status}{end}'
  }
}

export async function startDemo (o: DemoOptions = {}): Promise<Demo> {
  const asset = loadScriptAsset()
  let serviceUrl = ''
  let log: FastifyBaseLogger | undefined
  const onRequest = (r: StandInRequest): void => { log?.info({ method: r.method, path: r.path, status: r.status }, 'stand-in storefront request') }
  const standInOptions = { serviceUrl: () => serviceUrl, host: '127.0.0.1', script: { version: asset.version, integrity: asset.integrity }, onRequest }
  const storefront = await startStandInStorefront({ ...standInOptions, port: o.storefrontPort ?? 3001 })
    .catch(async (err: unknown) => { if (busy(err)) return await startStandInStorefront({ ...standInOptions, port: 0 }); throw err })
  // Two sites: the storefront on localhost, the service on 127.0.0.1 (the cross-site deployment).
  const storefrontUrl = `http://localhost:${storefront.port}`
  try {
    const config = loadConfig({
      NODE_ENV: 'development',
      BC_CLIENT_ID: DEMO.clientId,
      BC_CLIENT_SECRET: DEMO.clientSecret,
      BC_STORE_HASHES: DEMO.storeHash,
      ALLOWED_ORIGINS: storefrontUrl,
      SESSION_SECRET: DEMO.sessionSecret,
      REDIS_URL: o.redisUrl,
      LOG_LEVEL: o.logLevel ?? 'info'
    })
    const pretty = process.stdout.isTTY ? { transport: PRETTY } : {}
    const app = buildApp(config, { logger: { level: config.logLevel, ...pretty, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } } })
    log = app.log
    const port = await app.listen({ port: o.servicePort ?? 3000, host: '127.0.0.1' })
      .catch(async (err: unknown) => { if (busy(err)) return await app.listen({ port: 0, host: '127.0.0.1' }); throw err })
      .then(() => (app.server.address() as { port: number }).port)
    serviceUrl = `http://127.0.0.1:${port}`
    const snippet = `<script src="${serviceUrl}/storefront.js?v=${asset.version}" integrity="${asset.integrity}" crossorigin="anonymous" data-client-id="${DEMO.clientId}"></script>`
    return {
      serviceUrl,
      storefrontUrl,
      store: config.redis.kind === 'memory' ? 'memory' : 'redis',
      app,
      storefront,
      snippet,
      async close () {
        await storefront.close()
        await app.close()
      }
    }
  } catch (err) {
    await storefront.close()
    throw err
  }
}

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

  Try the API with curl (demo client secret ${DEMO.clientSecret}, store ${DEMO.storeHash}):
    TOKEN=$(npm run --silent token -- --customer-id 4927 --store-hash ${DEMO.storeHash})
    curl -i -X POST ${demo.serviceUrl}/session -H 'Origin: ${demo.storefrontUrl}' -H 'X-CSRF: 1' -H 'Content-Type: text/plain' --data "$TOKEN"

  Press Ctrl+C to stop.
`
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, 'storefront-port': { type: 'string' } } })
  let demo: Demo
  try {
    demo = await startDemo({
      ...(values.port !== undefined && { servicePort: Number(values.port) }),
      ...(values['storefront-port'] !== undefined && { storefrontPort: Number(values['storefront-port']) }),
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
