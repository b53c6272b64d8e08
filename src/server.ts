// The server entry: reads the configuration, builds the app, listens, and closes gracefully.
import closeWithGrace from 'close-with-grace'
import { buildApp, loggerOptions } from './app.js'
import { ConfigError, loadConfig } from './config.js'

function start (): void {
  let config
  try {
    config = loadConfig(process.env, { dotenv: true })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    // One line per problem, each whole: every problem is reported at once.
    for (const problem of err.message.split('\n')) {
      console.error(`bc-session-exchanger: configuration refused: ${problem}`)
    }
    process.exit(1)
  }
  // pino-pretty is a dev dependency: the production image (docker run -t) has no such module.
  const pretty = process.stdout.isTTY && !config.production ? { transport: { target: 'pino-pretty' } } : {}
  const app = buildApp(config, { logger: loggerOptions(config, pretty) })

  // A response sent while closing ends its connection: an idle keep-alive socket would otherwise hold
  // the exit back until keepAliveTimeout.
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', async (_request, reply) => { if (closing) reply.header('connection', 'close') })

  // SIGTERM: stop accepting, finish requests in flight (bounded), close Redis, exit 0.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })

  app.listen({ port: config.port, host: config.host }).catch((err: Error) => {
    app.log.error({ err }, 'could not listen')
    process.exit(1)
  })
}

start()
