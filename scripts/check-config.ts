// `npm run check-config`: validates the configuration (the environment, then .env) exactly as `npm start`
// would, and prints every problem and warning, without starting anything. Exit 0: it would start.
import { ConfigError, loadConfig } from '../src/config.js'

try {
  const config = loadConfig(process.env, { dotenv: true })
  for (const warning of config.warnings) process.stdout.write(`warning: ${warning}\n`)
  const rules = config.production ? 'production' : 'development'
  const store = config.redis.kind === 'memory' ? 'in this process' : `Redis (${config.redis.kind})`
  process.stdout.write(
    `configuration OK: ${rules} rules, session store ${store}, listening on ${config.host}:${config.port}\n`
  )
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  for (const problem of err.message.split('\n')) process.stderr.write(`configuration refused: ${problem}\n`)
  process.exitCode = 1
}
