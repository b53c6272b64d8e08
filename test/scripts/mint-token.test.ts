import t from 'tap'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeJwt, jwtVerify } from 'jose'
import { credentialDefaults, parseTokenArgs } from '../../scripts/mint-token.js'
import { DEMO } from '../../src/dev/stand-in-storefront.js'
import { mintCustomerToken, type MintOptions } from '../../src/dev/mint-token.js'
import { build } from '../support/app.js'
import { postSession } from '../support/session.js'

const CLI = fileURLToPath(new URL('../../scripts/mint-token.ts', import.meta.url))

/** POST /session on an app configured as the demo is, the token sent as the curl walk-through sends it. */
async function exchangedInDemo (t: Test, jwt: string): Promise<LightMyRequestResponse> {
  const { app } = await build(t, {
    redis: 'memory',
    env: {
      BC_CLIENT_ID: DEMO.clientId,
      BC_CLIENT_SECRET: DEMO.clientSecret,
      BC_STORE_HASHES: DEMO.storeHash,
      ALLOWED_ORIGINS: 'http://localhost:3001'
    }
  })
  const headers = { origin: 'http://localhost:3001', 'content-type': 'text/plain' }
  return await postSession(app, { headers, payload: jwt })
}

interface Run { code: number | null, stdout: string, stderr: string }

/** Runs the CLI with only the environment given (plus PATH), in `cwd` (where it looks for .env). */
async function run (args: string[], opts: { env?: Record<string, string>, cwd?: string } = {}): Promise<Run> {
  const { env = {}, cwd } = opts
  const child = spawn(process.execPath, [...process.execArgv, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
    ...(cwd !== undefined && { cwd })
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += String(d) })
  child.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

t.test('flags become mint options; defaults match the demo', async (t) => {
  t.same(parseTokenArgs(['--customer-id', '4927', '--store-hash', 'abc123']), {
    customerId: 4927, storeHash: 'abc123', ttl: 900, secret: DEMO.clientSecret, clientId: DEMO.clientId, alg: 'HS512'
  })
  t.same(parseTokenArgs(['--customer-id', '7', '--email', 'a@b.c', '--group-id', '3', '--ttl', '60', '--secret',
    's', '--client-id', 'c', '--alg', 'HS256', '--iat', '1480831863']), {
    customerId: 7,
    storeHash: DEMO.storeHash,
    ttl: 60,
    secret: 's',
    clientId: 'c',
    email: 'a@b.c',
    groupId: '3',
    alg: 'HS256',
    iat: 1480831863
  })
  t.same(parseTokenArgs(['--customer-id', '7', '--group-id', 'null'])?.groupId, null,
    '--group-id null gives a null group')
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
    [['--customer-id', '1', '--client-id', ''], /--client-id must not be empty/],
    [['--customer-id', '1', '--email', ''], /--email must not be empty/],
    [['--customer-id', ''], /--customer-id must not be empty/],
    [['--customer-id', '1', '--alg', 'HS384'], /--alg must be HS512 or HS256/],
    [['--customer-id', '1', '--alg', 'none'], /--alg must be HS512 or HS256/],
    [['--customer-id', '1', '--iat', 'yesterday'], /--iat must be a positive integer/],
    [['--customer-id', '1', '--nope'], /Unknown option '--nope'/],
    [['--customer-id', '1', 'extra'], /positional|Unexpected argument/]
  ]
  for (const [args, message] of cases) {
    t.throws(() => parseTokenArgs(args), message, args.join(' ') || '(none)')
    t.throws(() => parseTokenArgs(args), { name: 'UsageError' })
  }
})

t.test('the CLI prints the token alone on stdout, and the service accepts it', async (t) => {
  const { code, stdout, stderr } =
    await run(['--customer-id', '4927', '--store-hash', 'abc123', '--email', 'john.doe@gmail.com', '--group-id', '6'])
  t.equal(code, 0)
  t.equal(stderr, '')
  t.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'one compact JWS and a newline, nothing else')
  const jwt = stdout.trim()
  const { payload } = await jwtVerify(jwt, new TextEncoder().encode(DEMO.clientSecret),
    { audience: DEMO.clientId, issuer: 'bc/apps', algorithms: ['HS512'] })
  t.equal(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString(), '{"typ":"JWT","alg":"HS512"}',
    'the header BigCommerce sends, byte for byte')
  t.equal(Buffer.from(jwt.split('.')[2] as string, 'base64url').length, 64, 'a 64-byte HMAC-SHA512')
  t.same(Object.keys(payload),
    ['customer', 'iss', 'sub', 'iat', 'exp', 'version', 'aud', 'application_id', 'store_hash',
      'operation'], 'the claims of a real token, in its order')
  t.equal(payload.application_id, payload.aud, 'application_id is the client id, as in real tokens')
  t.match(payload, {
    customer: { id: 4927, email: 'john.doe@gmail.com', group_id: '6' },
    sub: 'abc123',
    store_hash: 'abc123',
    operation: 'current_customer'
  })
  t.equal((payload.exp as number) - (payload.iat as number), 900)

  const res = await exchangedInDemo(t, jwt)
  t.equal(res.statusCode, 201,
    'exchanged as the curl walk-through sends it: TOKEN=$(npm run --silent token ...), text/plain')
  t.same(res.json().customer, { id: 4927, email: 'john.doe@gmail.com', group_id: '6' })
})

t.test('--alg HS256 mints the documentation\'s form', async (t) => {
  const { code, stdout } = await run(['--customer-id', '4927', '--alg', 'HS256'])
  t.equal(code, 0)
  const jwt = stdout.trim()
  t.equal(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString(), '{"typ":"JWT","alg":"HS256"}')
  await t.resolves(jwtVerify(jwt, new TextEncoder().encode(DEMO.clientSecret), { algorithms: ['HS256'] }))
})

t.test('the client id and secret come from BC_CLIENT_ID and BC_CLIENT_SECRET, in the environment or .env',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mint-token-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, '.env'),
      'BC_CLIENT_ID=dotenv-client\nBC_CLIENT_SECRET=dotenv-secret-0123456789,old-secret\n')
    const fromDotenv = await run(['--customer-id', '1'], { cwd: dir })
    t.equal(fromDotenv.code, 0, fromDotenv.stderr)
    const { payload } = await jwtVerify(fromDotenv.stdout.trim(), new TextEncoder().encode('dotenv-secret-0123456789'),
      { audience: 'dotenv-client' })
    t.equal(payload.aud, 'dotenv-client', '.env: signed with the first (current) secret, for its client id')

    const fromEnv = await run(['--customer-id', '1'],
      { cwd: dir, env: { BC_CLIENT_ID: 'env-client', BC_CLIENT_SECRET: 'env-secret-0123456789' } })
    await t.resolves(jwtVerify(fromEnv.stdout.trim(), new TextEncoder().encode('env-secret-0123456789'),
      { audience: 'env-client' }), 'the environment wins over .env')

    const help = await run(['--help'], { cwd: dir })
    t.match(help.stdout, /--client-id <id>\s+default dotenv-client \(from BC_CLIENT_ID and BC_CLIENT_SECRET\)/,
      '--help shows the defaults and where they come from')
    t.match(help.stdout, /--alg HS512\|HS256\s+default HS512/)
    t.notMatch(help.stdout, /dotenv-secret/, '--help never prints the secret')

    t.same(credentialDefaults({}),
      { clientId: DEMO.clientId, secret: DEMO.clientSecret, from: 'the demo (npm run demo)' },
      'nothing set: the demo\'s')
    t.same(credentialDefaults({ BC_CLIENT_ID: 'only-the-id' }).clientId, DEMO.clientId,
      'an id without a secret is not half used')
  })

t.test('--iat mints an old token, which the service refuses as expired', async (t) => {
  const iat = Math.floor(Date.now() / 1000) - 3600
  const jwt = await mintCustomerToken(parseTokenArgs(['--customer-id', '5', '--iat', String(iat)]) as MintOptions)
  t.equal(decodeJwt(jwt).iat, iat)
  const res = await exchangedInDemo(t, jwt)
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'BCX_TOKEN_EXPIRED')
})

t.test('--ttl sets the lifetime', async (t) => {
  const claims =
    decodeJwt(await mintCustomerToken(parseTokenArgs(['--customer-id', '5', '--ttl', '60']) as MintOptions))
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
  t.match(stdout, /--iat <seconds>/)
})
