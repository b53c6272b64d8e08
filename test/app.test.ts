// The exchanger as a library: an app builder who registers it gets its start-up warnings in their own logger.
import t from 'tap'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import { bcSessionExchanger } from '../src/app.js'
import { testConfig } from './support/app.js'

t.test('configuration warnings reach the logger of the app that registers the plugin', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  t.teardown(() => app.close())
  const config = testConfig({ BC_WEBHOOK_SECRET: 'a-long-random-webhook-secret', ALLOWED_ORIGINS: undefined })
  await app.register(bcSessionExchanger, { config })
  await app.ready()
  const warnings =
    lines.map((l) => JSON.parse(l) as { level: number, msg: string }).filter((l) => l.level === 40).map((l) => l.msg)
  for (const expected of config.warnings) t.ok(warnings.includes(expected), `logged: ${expected}`)
  t.ok(warnings.some((w) => w.startsWith('BC_WEBHOOK_SECRET is set')))
  t.ok(warnings.some((w) => w.startsWith('ALLOWED_ORIGINS is unset')))
  t.notMatch(lines.join(''), /a-long-random-webhook-secret/, 'the secret itself is never logged')
})
