// `npm run check-config`: the configuration checked as `npm start` checks it, with nothing started.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BASE_ENV } from '../support/app.js'

const CLI = fileURLToPath(new URL('../../scripts/check-config.ts', import.meta.url))

async function check (dotenv: string, env: Record<string,
  string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'bcx-check-'))
  writeFileSync(join(cwd, '.env'), dotenv)
  const child = spawn(process.execPath, [...process.execArgv, CLI],
    { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += String(d) })
  child.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  rmSync(cwd, { recursive: true, force: true })
  return { code, stdout, stderr }
}

const dotenvOf =
  (env: Record<string, string>): string => Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n'

t.test('a good .env: exit 0, the warnings and what it would run', async (t) => {
  const { code, stdout, stderr } =
    await check(dotenvOf({ ...BASE_ENV, BC_WEBHOOK_SECRET: 'a-long-random-webhook-secret' }))
  t.equal(code, 0, stderr)
  t.match(stdout, /^warning: BC_WEBHOOK_SECRET is set/m)
  t.match(stdout, /configuration OK: development rules, session store in this process/)
  t.notMatch(stdout + stderr, /test-client-secret|a-long-random-webhook-secret/, 'no secret printed')
})

t.test('a bad .env: exit 1, every problem on its own line', async (t) => {
  const { code, stdout, stderr } = await check(dotenvOf({
    ...BASE_ENV,
    NODE_ENV: 'prod',
    COOKIE_SAMESITE: 'sometimes',
    SESSION_IDLE_TIMEOUT: '30000'
  }))
  t.equal(code, 1)
  t.equal(stdout, '')
  const lines = stderr.trim().split('\n')
  t.equal(lines.length, 3, stderr)
  t.match(stderr, /^configuration refused: NODE_ENV is invalid: "prod" is not one of development, test, production$/m)
  t.match(stderr, /^configuration refused: COOKIE_SAMESITE is invalid/m)
  t.match(stderr, /^configuration refused: SESSION_IDLE_TIMEOUT is invalid/m)
})

t.test('the environment wins over .env', async (t) => {
  const { code, stdout } =
    await check(dotenvOf({ ...BASE_ENV, COOKIE_SAMESITE: 'sometimes' }), { COOKIE_SAMESITE: 'lax' })
  t.equal(code, 0)
  t.match(stdout, /configuration OK/)
})
