// The package's library face: register the exchanger in your own Fastify app.
export { bcSessionExchanger, buildApp, type ExchangerOptions, type BuildOptions } from './app.js'
export { loadConfig, ConfigError, type Config } from './config.js'
export { ERROR_CODES } from './errors.js'
export type { SessionBody, LiveSession } from './session/sessions.js'
