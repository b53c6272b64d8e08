// The package's library face: register the exchanger in your own Fastify app.
export {
  bcSessionExchanger,
  buildApp,
  loggerOptions,
  REDACTED_PATHS,
  type ExchangerOptions,
  type BuildOptions,
  type LogOutput
} from './app.js'
export { loadConfig, ConfigError, type Config } from './config.js'
export { ERROR_CODES } from './errors.js'
export type { SessionBody, LiveSession } from './session/rules.js'
export { requireCustomerSession } from './session/guard.js'
export type { Customer } from './customer.js'
export { verifyUpstreamRequest, UPSTREAM_HEADERS, type VerifiedUpstreamRequest } from './lib/upstream-signature.js'
