// `npm run token -- --customer-id 4927 --store-hash abc123`: prints a Current Customer JWT, signed like
// BigCommerce signs it, alone on stdout (for curl). Defaults match `npm run demo`.
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { mintCustomerToken, type MintOptions } from '../src/dev/mint-token.js'
import { DEMO } from '../src/dev/stand-in-storefront.js'

export const USAGE = `Usage: npm run token -- --customer-id <id> [--store-hash ${DEMO.storeHash}] [--email <email>]
       [--group-id <id>|null] [--ttl 900] [--secret <client secret>] [--client-id <client id>]
Prints a Current Customer JWT alone on standard output. Defaults match \`npm run demo\`.`

export class UsageError extends Error {
  override name = 'UsageError'
}

function positiveInteger (name: string, value: string): number {
  if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`--${name} must be a positive integer, got "${value}"`)
  return Number(value)
}

/** Flags to mint options; throws UsageError naming the flag. `null` when --help was asked for. */
export function parseTokenArgs (args: string[]): MintOptions | null {
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
        secret: { type: 'string', default: DEMO.clientSecret },
        'client-id': { type: 'string', default: DEMO.clientId },
        help: { type: 'boolean', short: 'h', default: false }
      }
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (values.help) return null
  if (values['customer-id'] === undefined) throw new UsageError('--customer-id is required')
  if (!/^[A-Za-z0-9]{1,64}$/.test(values['store-hash'])) throw new UsageError(`--store-hash must be letters and digits, got "${values['store-hash']}"`)
  if (values.secret === '') throw new UsageError('--secret must not be empty')
  const groupId = values['group-id']
  return {
    customerId: positiveInteger('customer-id', values['customer-id']),
    storeHash: values['store-hash'],
    ttl: positiveInteger('ttl', values.ttl),
    secret: values.secret,
    clientId: values['client-id'],
    ...(values.email !== undefined && { email: values.email }),
    ...(groupId !== undefined && { groupId: groupId === 'null' ? null : groupId })
  }
}

async function main (): Promise<void> {
  try {
    const options = parseTokenArgs(process.argv.slice(2))
    if (options === null) {
      process.stdout.write(USAGE + '\n')
      return
    }
    process.stdout.write(await mintCustomerToken(options) + '\n')
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`mint-token: ${err.message}\n${USAGE}\n`)
    process.exitCode = 2
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
