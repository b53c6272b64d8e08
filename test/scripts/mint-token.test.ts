import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { decodeJwt, jwtVerify } from 'jose'
import { parseTokenArgs } from '../../scripts/mint-token.js'
import { DEMO } from '../../src/dev/stand-in-storefront.js'
import { mintCustomerToken, type MintOptions } from '../../src/dev/mint-token.js'
import { build } from '../helper.js'

const CLI = fileURLToPath(new URL('../../scripts/mint-token.ts', import.meta.url))

async function run (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [...process.execArgv, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += String(d) })
  child.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

t.test('flags become mint options; defaults match the demo', async (t) => {
  t.same(parseTokenArgs(['--customer-id', '4927', '--store-hash', 'abc123']), {
    customerId: 4927, storeHash: 'abc123', ttl: 900, secret: DEMO.clientSecret, clientId: DEMO.clientId
  })
  t.same(parseTokenArgs(['--customer-id', '7', '--email', 'a@b.c', '--group-id', '3', '--ttl', '60', '--secret', 's', '--client-id', 'c']), {
    customerId: 7, storeHash: DEMO.storeHash, ttl: 60, secret: 's', clientId: 'c', email: 'a@b.c', groupId: '3'
  })
  t.same(parseTokenArgs(['--customer-id', '7', '--group-id', 'null'])?.groupId, null, '--group-id null gives a null group')
  t.equal(parseTokenArgs(['--help']), null)
})

t.test('bad flags are refused with a message naming the flag', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /--customer-id is required/],
    [['--customer-id', '0'], /--customer-id must be a positive integer/],
    [['--customer-id', '12x'], /--customer-id must be a positive integer/],
    [['--customer-id', '1', '--ttl', '-5'], /--ttl/],
    [['--customer-id', '1', '--store-hash', 'a/b'], /--store-hash must be letters and digits/],
    [['--customer-id', '1', '--secret', ''], /--secret must not be empty/],
    [['--customer-id', '1', '--nope'], /Unknown option '--nope'/],
    [['--customer-id', '1', 'extra'], /positional|Unexpected argument/]
  ]
  for (const [args, message] of cases) {
    t.throws(() => parseTokenArgs(args), message, args.join(' ') || '(none)')
    t.throws(() => parseTokenArgs(args), { name: 'UsageError' })
  }
})

t.test('the CLI prints the token alone on stdout, and the service accepts it', async (t) => {
  const { code, stdout, stderr } = await run(['--customer-id', '4927', '--store-hash', 'abc123', '--email', 'john.doe@gmail.com', '--group-id', '6'])
  t.equal(code, 0)
  t.equal(stderr, '')
  t.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'one compact JWS and a newline, nothing else')
  const jwt = stdout.trim()
  const { payload, protectedHeader } = await jwtVerify(jwt, new TextEncoder().encode(DEMO.clientSecret), { audience: DEMO.clientId, issuer: 'bc/apps' })
  t.equal(protectedHeader.alg, 'HS256')
  t.match(payload, { customer: { id: 4927, email: 'john.doe@gmail.com', group_id: '6' }, sub: 'abc123', store_hash: 'abc123', operation: 'current_customer' })
  t.equal((payload.exp as number) - (payload.iat as number), 900)

  const { app } = await build(t, {
    redis: 'memory',
    env: { BC_CLIENT_ID: DEMO.clientId, BC_CLIENT_SECRET: DEMO.clientSecret, BC_STORE_HASHES: DEMO.storeHash, ALLOWED_ORIGINS: 'http://localhost:3001' }
  })
  const res = await app.inject({ method: 'POST', url: '/session', headers: { origin: 'http://localhost:3001', 'x-csrf': '1', 'content-type': 'text/plain' }, payload: jwt })
  t.equal(res.statusCode, 201, 'exchanged as the curl walk-through sends it: TOKEN=$(npm run --silent token ...), text/plain')
  t.same(res.json().customer, { id: 4927, email: 'john.doe@gmail.com', group_id: '6' })
})

t.test('--ttl sets the lifetime', async (t) => {
  const claims = decodeJwt(await mintCustomerToken(parseTokenArgs(['--customer-id', '5', '--ttl', '60']) as MintOptions))
  t.equal((claims.exp as number) - (claims.iat as number), 60)
})

t.test('a usage error: exit 2, the message on stderr, nothing on stdout', async (t) => {
  const { code, stdout, stderr } = await run(['--customer-id', 'abc'])
  t.equal(code, 2)
  t.equal(stdout, '')
  t.match(stderr, /--customer-id must be a positive integer/)
  t.match(stderr, /Usage: npm run token/)
})

t.test('--help prints the usage on stdout', async (t) => {
  const { code, stdout } = await run(['--help'])
  t.equal(code, 0)
  t.match(stdout, /Usage: npm run token -- --customer-id/)
})
