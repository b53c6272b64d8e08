// The app factory: registers every plugin and route; never listens and never touches process.*.
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyLoggerOptions,
  type FastifyServerOptions
} from 'fastify'
import type { LoggerOptions } from 'pino'
import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import type { Config } from './config.js'
import errorHandler, { clientErrorHandler } from './plugins/error-handler.js'
import requestLog from './plugins/request-log.js'
import metrics from './plugins/metrics.js'
import metricsRoute from './routes/metrics.js'
import docs from './plugins/docs.js'
import redis from './plugins/redis.js'
import appInstalls from './app-mode/plugin.js'
import sessionStore from './session/store-choice.js'
import sessionCookie from './session/cookie.js'
import crossSite from './session/cross-site.js'
import rateLimit from './plugins/rate-limit.js'
import forwardedHeadersWarning from './plugins/forwarded-headers-warning.js'
import sessions from './session/rules.js'
import healthRoutes from './routes/health.js'
import sessionRoutes from './routes/session.js'
import apiRoutes from './routes/api/index.js'
import adminRoutes from './routes/admin.js'
import webhookRoutes from './routes/webhooks.js'
import storefrontRoutes from './routes/storefront.js'
import bigcommerceCallbacks from './routes/bigcommerce/index.js'
import bigcommerce from './bigcommerce/plugin.js'
import type { RedisClient } from './store/redis-store.js'

export interface ExchangerOptions {
  config: Config
  /** An ioredis client owned by the caller (not closed by the app); else one is made from the config. */
  redis?: RedisClient
}

/** Everything the service is, as one plugin: also what an app builder registers in their own Fastify app. */
export const bcSessionExchanger = fp<ExchangerOptions>(async function bcSessionExchanger (fastify, options) {
  const { config, redis: client } = options
  // Here, not in the server entry: an app builder who registers the plugin sees them in their own logger.
  for (const warning of config.warnings) fastify.log.warn(warning)
  await fastify.register(metrics)
  await fastify.register(errorHandler)
  await fastify.register(requestLog)
  await fastify.register(forwardedHeadersWarning, { config })
  await fastify.register(docs, { config })
  await fastify.register(redis, { config, ...(client !== undefined && { client }) })
  await fastify.register(sessionStore, { config })
  await fastify.register(appInstalls, { config })
  await fastify.register(sessionCookie, { config })
  await fastify.register(crossSite, { config })
  await fastify.register(rateLimit, { config })
  await fastify.register(sessions, { config })
  // request.bigcommerce for every /api route, app builders' own included: the session's store's client.
  await fastify.register(bigcommerce, { config })
  await fastify.register(healthRoutes, { config })
  await fastify.register(metricsRoute, { config })
  await fastify.register(sessionRoutes, { config })
  await fastify.register(apiRoutes, { config, prefix: '/api' })
  await fastify.register(adminRoutes, { config })
  await fastify.register(webhookRoutes, { config })
  await fastify.register(storefrontRoutes)
  // The install lifecycle callbacks exist in app mode only.
  if (config.app !== undefined) await fastify.register(bigcommerceCallbacks, { config: { ...config, app: config.app } })
}, { name: 'bc-session-exchanger', fastify: '5.x' })

/** Secrets that must never reach a log line, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.cookie', 'req.headers.authorization', 'req.headers["x-webhook-secret"]',
  'res.headers["set-cookie"]', 'token', '*.token', 'cookie', '*.cookie', 'sid', '*.sid',
  // App mode: a store's access token and the OAuth exchange, wherever a log line might carry them.
  'accessToken', '*.accessToken', 'access_token', '*.access_token', 'client_secret', '*.client_secret',
  'signed_payload_jwt', '*.signed_payload_jwt'
]

/** Where log lines go, when not standard output: a pretty-printing transport, or a stream (tests). */
export type LogOutput = Pick<FastifyLoggerOptions & LoggerOptions, 'transport' | 'stream'>

/** The logger options of every app this package builds: level from the configuration, secrets redacted. */
export function loggerOptions (
  config: Pick<Config, 'logLevel'>,
  output: LogOutput = {}
): FastifyLoggerOptions & LoggerOptions {
  return { level: config.logLevel, ...output, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }
}

export interface BuildOptions {
  logger?: FastifyServerOptions['logger']
  redis?: RedisClient
}

/**
 * Node checks for expired requests only every `connectionsCheckingInterval` (30 s by default), so a
 * 30 s bound could take a minute: check ten times per bound (at most once a second) instead.
 */
export function requestTimeouts (
  requestTimeoutMs: number
): { headersTimeout: number, connectionsCheckingInterval: number } {
  return {
    headersTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 10)))
  }
}

export function buildApp (config: Config, opts: BuildOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(config),
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    // Only the listed proxies' X-Forwarded-* count: never `true`, never a hop count.
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // No type coercion: {"token": 123} is a 400, not the string "123".
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    bodyLimit: 64 * 1024,
    // A whole request (headers and body) gets REQUEST_TIMEOUT_MS, then 408 and the connection closes:
    // a body that never finishes must not hold a socket (a file descriptor) forever.
    requestTimeout: config.requestTimeoutMs,
    // What Fastify does not set itself: the header deadline, and how often Node looks for expired requests.
    http: requestTimeouts(config.requestTimeoutMs),
    // Above the idle timeout of common proxies and load balancers (60 s), so that the proxy, not this
    // server, closes an idle connection first and never reuses one closed under it.
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    clientErrorHandler
  })
  app.register(bcSessionExchanger, { config, ...(opts.redis !== undefined && { redis: opts.redis }) })
  return app
}
