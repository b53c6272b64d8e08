// .env.example and compose's environment against the configuration: every variable they set is one the
// service knows, every variable it knows is documented, the required ones are set, and the secrets are
// placeholders that the service refuses, naming the variable.
import t from 'tap'
import { ConfigError, KNOWN_VARIABLES, loadConfig } from '../../src/config.js'
import { composeFile, composeServiceEnv, envExample, envExampleText, PLACEHOLDER, REAL_VALUES } from './deploy-files.js'

const known = new Set(KNOWN_VARIABLES)

t.test('every variable .env.example and compose set is one the configuration knows', async (t) => {
  t.same(Object.keys(envExample()).filter((k) => !known.has(k)), [], '.env.example')
  t.same(Object.keys(composeFile().services.exchanger.environment ?? {}).filter((k) => !known.has(k)), [],
    'compose environment:')
})

t.test('.env.example lists every variable the configuration knows, each under a comment', async (t) => {
  t.same(KNOWN_VARIABLES.filter((k) => !(k in envExample())), [], 'none missing')
  const lines = envExampleText().split('\n')
  const uncommented: string[] = []
  lines.forEach((line, i) => {
    const name = /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1]
    if (name === undefined) return
    // A variable's own comment, or the one above the group of variables it belongs to.
    let j = i - 1
    while (j >= 0 && /^[A-Z][A-Z0-9_]*=/.test(lines[j] as string)) j--
    if (!(lines[j] ?? '').startsWith('#')) uncommented.push(name)
  })
  t.same(uncommented, [])
  t.same(lines.filter((l) => l.trim() !== '' && !l.startsWith('#') && !/^[A-Z][A-Z0-9_]*=/.test(l)), [],
    'nothing but comments and KEY=value lines')
})

t.test('the secrets are change-me placeholders, and only placeholders stand in for real values', async (t) => {
  const example = envExample()
  for (const name of ['BC_CLIENT_SECRET', 'SESSION_SECRET']) {
    t.match(example[name], /change-me/,
    `${name} is a placeholder`)
  }
  for (const name of ['ADMIN_TOKEN', 'BC_WEBHOOK_SECRET', 'METRICS_TOKEN', 'BC_ACCESS_TOKEN',
    'UPSTREAM_SIGNING_SECRET']) {
    t.equal(example[name], '', `${name} is unset unless chosen (its feature stays off)`)
  }
  const placeholders = Object.keys(example).filter((k) => PLACEHOLDER.test(example[k] as string))
  t.same(placeholders.sort(), Object.keys(REAL_VALUES).sort(),
    'the placeholders are exactly the values an operator must choose')
})

t.test('with compose\'s environment and the placeholders filled in, production starts: every required variable is set',
  async (t) => {
    const config = loadConfig(composeServiceEnv())
    t.equal(config.production, true)
    t.same(config.redis, { kind: 'single', url: 'redis://redis:6379' })
    t.equal(config.port, 3000)
    t.same(config.trustProxy, [])
    // Compose publishes the port on 127.0.0.1 only; the service still says that /metrics is open.
    t.same(config.warnings.filter((w) => !w.startsWith('METRICS_TOKEN is unset')), [])
  })

t.test('as copied, .env.example is refused at start-up, naming each placeholder variable', async (t) => {
  const asCopied = { ...envExample(), ...composeFile().services.exchanger.environment }
  t.throws(() => loadConfig(asCopied), ConfigError)
  for (const name of Object.keys(REAL_VALUES)) {
    // Every other placeholder filled in: this one alone must stop the start.
    const env = composeServiceEnv({ [name]: envExample()[name] as string })
    t.throws(() => loadConfig(env),
      { name: 'ConfigError', message: new RegExp(`^${name} still holds the placeholder`) }, name)
  }
})
