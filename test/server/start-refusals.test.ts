// A production start-up with a missing, invalid or placeholder setting stops at once with one clear
// line that names the variable, and a non-zero exit code; it never listens.
import t from 'tap'
import { CLIENT_SECRET, SESSION_SECRET } from '../support/app.js'
import { buildDist, productionEnv, spawnServer } from '../support/server-process.js'

const complete = productionEnv('redis://127.0.0.1:6399')
const without =
  (name: string): Record<string, string> => Object.fromEntries(Object.entries(complete).filter(([k]) => k !== name))

const cases: Array<{ name: string, env: Record<string, string>, variable: string }> = [
  { name: 'no Redis setting', env: without('REDIS_URL'), variable: 'REDIS_URL' },
  { name: 'no store allow-list', env: without('BC_STORE_HASHES'), variable: 'BC_STORE_HASHES' },
  { name: 'no allowed origins', env: without('ALLOWED_ORIGINS'), variable: 'ALLOWED_ORIGINS' },
  { name: 'no session secret', env: without('SESSION_SECRET'), variable: 'SESSION_SECRET' },
  { name: 'no client id', env: without('BC_CLIENT_ID'), variable: 'BC_CLIENT_ID' },
  { name: 'an empty client secret (FOO= in an env file)', env: { ...complete, BC_CLIENT_SECRET: '' }, variable: 'BC_CLIENT_SECRET' },
  { name: 'a short session secret', env: { ...complete, SESSION_SECRET: 'too-short' }, variable: 'SESSION_SECRET' },
  { name: 'the .env.example placeholder', env: { ...complete, BC_CLIENT_SECRET: 'change-me-client-secret' }, variable: 'BC_CLIENT_SECRET' },
  { name: 'a placeholder in a list', env: { ...complete, BC_STORE_HASHES: 'abc123,changeme' }, variable: 'BC_STORE_HASHES' },
  { name: 'trusting every proxy', env: { ...complete, TRUST_PROXY: 'true' }, variable: 'TRUST_PROXY' },
  { name: 'Sentinels without a master name', env: { ...without('REDIS_URL'), REDIS_SENTINELS: '127.0.0.1:26379' }, variable: 'REDIS_SENTINEL_MASTER' },
  { name: 'a Redis URL of another scheme', env: { ...complete, REDIS_URL: 'http://127.0.0.1:6379' }, variable: 'REDIS_URL' }
]

t.before(buildDist)
// Each case is a process start-up that mostly waits on loading modules: a few at a time.
t.jobs = 3

for (const c of cases) {
  t.test(`refused: ${c.name}`, async (t) => {
    const server = spawnServer({ ...c.env, PORT: '0', HOST: '127.0.0.1' })
    t.teardown(() => server.kill())
    const startedAt = Date.now()
    const { code } = await server.exited
    t.not(code, 0, 'non-zero exit code')
    // It exits by itself instead of waiting for Redis; the bound only tells a hang from a slow, loaded start.
    t.ok(Date.now() - startedAt < 90_000, 'exits by itself')
    const lines = server.stderr().split('\n').filter((l) => l.trim() !== '')
    t.equal(lines.length, 1, `one line: ${server.stderr()}`)
    t.match(lines[0], new RegExp(`^bc-session-exchanger: configuration refused: ${c.variable}\\b`),
      'names the variable first')
    t.equal(server.stdout(), '', 'nothing else printed (the logger never started)')
    t.notMatch(server.stderr(), CLIENT_SECRET)
    t.notMatch(server.stderr(), SESSION_SECRET)
  })
}
