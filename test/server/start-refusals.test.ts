// A production start-up with a missing, invalid or placeholder setting stops at once with one clear
// line that names the variable, and a non-zero exit code; it never listens.
import t from 'tap'
import { CLIENT_SECRET, SESSION_SECRET } from '../support/app.js'
import { buildDist, productionEnv, spawnServer } from '../support/server-process.js'

const complete = productionEnv('redis://127.0.0.1:6399')
const without =
  (name: string): Record<string, string> => Object.fromEntries(Object.entries(complete).filter(([k]) => k !== name))

const withOne = (name: string, value: string): Record<string, string> => ({ ...complete, [name]: value })

// Each: what is wrong, the environment, and the variable the refusal must name.
const cases: Array<[string, Record<string, string>, string]> = [
  ['no Redis setting', without('REDIS_URL'), 'REDIS_URL'],
  ['no store allow-list', without('BC_STORE_HASHES'), 'BC_STORE_HASHES'],
  ['no allowed origins', without('ALLOWED_ORIGINS'), 'ALLOWED_ORIGINS'],
  ['no session secret', without('SESSION_SECRET'), 'SESSION_SECRET'],
  ['no client id', without('BC_CLIENT_ID'), 'BC_CLIENT_ID'],
  ['an empty client secret (FOO= in an env file)', withOne('BC_CLIENT_SECRET', ''), 'BC_CLIENT_SECRET'],
  ['a short session secret', withOne('SESSION_SECRET', 'too-short'), 'SESSION_SECRET'],
  ['the .env.example placeholder', withOne('BC_CLIENT_SECRET', 'change-me-client-secret'), 'BC_CLIENT_SECRET'],
  ['a placeholder in a list', withOne('BC_STORE_HASHES', 'abc123,changeme'), 'BC_STORE_HASHES'],
  ['trusting every proxy', withOne('TRUST_PROXY', 'true'), 'TRUST_PROXY'],
  ['Sentinels without a master name', { ...without('REDIS_URL'), REDIS_SENTINELS: '127.0.0.1:26379' },
    'REDIS_SENTINEL_MASTER'],
  ['a Redis URL of another scheme', withOne('REDIS_URL', 'http://127.0.0.1:6379'), 'REDIS_URL']
]

t.before(buildDist)
// Each case is a process start-up that mostly waits on loading modules: a few at a time.
t.jobs = 3

for (const [name, env, variable] of cases) {
  t.test(`refused: ${name}`, async (t) => {
    const server = spawnServer({ ...env, PORT: '0', HOST: '127.0.0.1' })
    t.teardown(() => server.kill())
    const startedAt = Date.now()
    const { code } = await server.exited
    t.not(code, 0, 'non-zero exit code')
    // It exits by itself instead of waiting for Redis; the bound only tells a hang from a slow, loaded start.
    t.ok(Date.now() - startedAt < 90_000, 'exits by itself')
    const lines = server.stderr().split('\n').filter((l) => l.trim() !== '')
    t.equal(lines.length, 1, `one line: ${server.stderr()}`)
    t.match(lines[0], new RegExp(`^bc-session-exchanger: configuration refused: ${variable}\\b`),
      'names the variable first')
    t.equal(server.stdout(), '', 'nothing else printed (the logger never started)')
    t.notMatch(server.stderr(), CLIENT_SECRET)
    t.notMatch(server.stderr(), SESSION_SECRET)
  })
}
