// The README's curl walk-through, run as written: the block in the README is examples/curl-walkthrough.sh
// byte for byte, and the script, run by bash against `npm start`, gets the status each step promises.
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../support/redis-server.js'
import { buildDist, ROOT } from '../support/server-process.js'

const SCRIPT = join(ROOT, 'examples', 'curl-walkthrough.sh')

t.test('the README shows the tested script, unchanged', async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## A curl walk-through'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  t.equal(block, readFileSync(SCRIPT, 'utf8'))
})

t.test('pasted as one block, every step prints the status it promises', async (t) => {
  await buildDist()
  const port = await freePort()
  // Only what a developer's shell would have: no BC_* or SESSION_* of the test runner.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port) }
  const child = spawn('bash', [SCRIPT], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += String(d) })
  child.stderr.on('data', (d: Buffer) => { out += String(d) })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.equal(code, 0, out)
  const steps = [...out.matchAll(/^# (.*)\n[\s\S]*?^→ (\d{3})$/gm)].map((m) => [m[1], m[2]])
  t.same(steps.map(([, status]) => status), ['201', '200', '200', '403', '409', '204', '401'], out)
  for (const [promise, status] of steps) {
    t.match(promise, new RegExp(`: ${status as string}\\b`),
    `the step says what it gets: ${promise as string}`)
  }
  t.match(out, /"customer":\{"id":4927/, 'the session body is shown')
  t.match(out, /BCX_CSRF_HEADER_MISSING/)
  t.match(out, /BCX_TOKEN_REPLAYED/)
  t.match(out, /BCX_UNAUTHENTICATED/)
  // The script stops the service it started: it closes gracefully, then nothing answers on its port.
  let state = 'up'
  for (let i = 0; i < 120 && state === 'up'; i++) {
    state = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => 'up', () => 'down')
    if (state === 'up') await new Promise((resolve) => setTimeout(resolve, 500))
  }
  t.equal(state, 'down', 'the service was stopped')
})
