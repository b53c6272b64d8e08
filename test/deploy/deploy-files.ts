// Reads the deployment files the way their tools do: docker-compose.yml as YAML, .env.example as an env file.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { parse } from 'yaml'
import { ROOT } from '../support/server-process.js'

export interface ComposeService {
  image?: string
  build?: string | { context: string, dockerfile: string }
  command?: string[] | string
  environment?: Record<string, string>
  env_file?: string | string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[], interval?: string, timeout?: string, retries?: number }
  volumes?: string[]
  ports?: string[]
  restart?: string
  stop_grace_period?: string
}

export interface ComposeFile {
  services: Record<string, ComposeService> & { redis: ComposeService, exchanger: ComposeService }
  volumes?: Record<string, unknown>
}

export const composeFile =
  (): ComposeFile => parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile

export const envExampleText = (): string => readFileSync(join(ROOT, '.env.example'), 'utf8')

/** .env.example as compose's env_file and the server's dotenv read it. */
export const envExample = (): Record<string, string> => parseEnv(envExampleText()) as Record<string, string>

/** Values an operator must replace: the service refuses them (src/config.ts). */
export const PLACEHOLDER = /change-?me|replace-?me/i

/** Real values for the placeholders, as an operator would set them. */
export const REAL_VALUES: Record<string, string> = {
  BC_CLIENT_ID: 'test-client-id',
  BC_CLIENT_SECRET: 'test-client-secret-0123456789',
  BC_STORE_HASHES: 'abc123',
  ALLOWED_ORIGINS: 'https://store-abc123.mybigcommerce.com',
  SESSION_SECRET: 'test-session-secret-0123456789abcdef'
}

/** The service's environment under compose: .env (from .env.example, placeholders replaced), then `environment:`. */
export function composeServiceEnv (overrides: Record<string, string> = {}): Record<string, string> {
  const example = envExample()
  const filled =
    Object.fromEntries(Object.entries(example).map(([k, v]) => [k, PLACEHOLDER.test(v) ? REAL_VALUES[k] ?? v : v]))
  return { ...filled, ...composeFile().services.exchanger.environment, ...overrides }
}
