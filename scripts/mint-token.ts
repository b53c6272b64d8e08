// `npm run token -- --customer-id 4927 --store-hash abc123`: prints a Current Customer JWT, signed the way
// BigCommerce signs it (HS512), alone on stdout (for curl). The client id and secret come from the flags,
// else from BC_CLIENT_ID / BC_CLIENT_SECRET (the environment, then .env), else the demo's.
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs, parseEnv } from 'node:util'
import { pathToFileURL } from 'node:url'
import { mintCustomerToken, type MintOptions } from '../src/dev/mint-token.js'
import { DEMO } from '../src/dev/stand-in-storefront.js'
import { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from '../src/token/verify-token.js'

export class UsageError extends Error {
  override name = 'UsageError'
}

type Source = Record<string, string | undefined>

/** Where the client id and secret come from when no flag gives them, and what they are. */
export interface Defaults { clientId: string, secret: string, from: string }

/** BC_CLIENT_ID and BC_CLIENT_SECRET (its first, current secret) from `env`, then `dotenv`, else the demo's. */
export function credentialDefaults (env: Source, dotenv: Source = {}): Defaults {
  const pick = (name: string): string | undefined => [env[name], dotenv[name]].find((v) => v !== undefined && v !== '')
  const clientId = pick('BC_CLIENT_ID')
  const secret = pick('BC_CLIENT_SECRET')?.split(',')[0]?.trim()
  if (clientId !== undefined && secret !== undefined && secret !== '') {
    return { clientId, secret, from: 'BC_CLIENT_ID and BC_CLIENT_SECRET' }
  }
  return { clientId: DEMO.clientId, secret: DEMO.clientSecret, from: 'the demo (npm run demo)' }
}

export function usage (d: Defaults): string {
  return `Usage: npm run token -- --customer-id <id> [options]
Prints a Current Customer JWT alone on standard output, signed as BigCommerce signs it.

  --customer-id <id>     the customer (required)
  --store-hash <hash>    default ${DEMO.storeHash}
  --email <email>        default customer<id>@example.com
  --group-id <id>|null   default 0
  --ttl <seconds>        lifetime, default 900 (BigCommerce's)
  --iat <seconds>        issued-at, seconds since the epoch, default now (an old value mints an old token)
  --alg HS512|HS256      default HS512 (BigCommerce's tokens); HS256 is its documentation's example
  --client-id <id>       default ${d.clientId} (from ${d.from})
  --secret <secret>      default: the client secret from ${d.from}`
}

function positiveInteger (name: string, value: string): number {
  if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`)
  }
  return Number(value)
}

/** Flags to mint options; throws UsageError naming the flag. `null` when --help was asked for. */
export function parseTokenArgs (args: string[], defaults: Defaults = credentialDefaults({})): MintOptions | null {
  let values
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        'customer-id': { type: 'string' },
        'store-hash': { type: 'string', default: DEMO.storeHash },
        email: { type: 'string' },
        'group-id': { type: 'string' },
        ttl: { type: 'string', default: '900' },
        iat: { type: 'string' },
        alg: { type: 'string', default: 'HS512' },
        secret: { type: 'string', default: defaults.secret },
        'client-id': { type: 'string', default: defaults.clientId },
        help: { type: 'boolean', short: 'h', default: false }
      }
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (values.help) return null
  // An empty value is a mistake (an unset shell variable), never a choice.
  for (const [name, value] of Object.entries(values)) {
    if (value === '') throw new UsageError(`--${name} must not be empty`)
  }
  if (values['customer-id'] === undefined) throw new UsageError('--customer-id is required')
  if (!/^[A-Za-z0-9]{1,64}$/.test(values['store-hash'])) {
    throw new UsageError(`--store-hash must be letters and digits, got "${values['store-hash']}"`)
  }
  if (!(values.alg in ACCEPTED_ALGORITHMS)) throw new UsageError(`--alg must be HS512 or HS256, got "${values.alg}"`)
  const groupId = values['group-id']
  return {
    customerId: positiveInteger('customer-id', values['customer-id']),
    storeHash: values['store-hash'],
    ttl: positiveInteger('ttl', values.ttl),
    secret: values.secret,
    clientId: values['client-id'],
    alg: values.alg as AcceptedAlgorithm,
    ...(values.iat !== undefined && { iat: positiveInteger('iat', values.iat) }),
    ...(values.email !== undefined && { email: values.email }),
    ...(groupId !== undefined && { groupId: groupId === 'null' ? null : groupId })
  }
}

async function main (): Promise<void> {
  const dotenv = existsSync('.env') ? parseEnv(readFileSync('.env', 'utf8')) : {}
  const defaults = credentialDefaults(process.env, dotenv)
  try {
    const options = parseTokenArgs(process.argv.slice(2), defaults)
    if (options === null) {
      process.stdout.write(usage(defaults) + '\n')
      return
    }
    process.stdout.write(await mintCustomerToken(options) + '\n')
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`mint-token: ${err.message}\n${usage(defaults)}\n`)
    process.exitCode = 2
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
