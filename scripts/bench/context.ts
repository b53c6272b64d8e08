// What every kind of run shares: its settings, its redis-server, the service processes it starts and
// the customers its tokens name.
import { launchRedisServer, type RedisServer } from '../../src/dev/redis-server.js'
import type { AcceptedAlgorithm } from '../../src/token/verify-token.js'
import { serviceGroup, type ServiceGroup } from './service.js'
import { mintTokens } from './sessions.js'
import type { Settings } from './settings.js'

export interface BenchContext {
  settings: Settings
  redis: RedisServer
  services: ServiceGroup
  /** Fresh tokens, each for a customer no earlier token of the run named; HS512 unless `alg` says HS256. */
  tokens (count: number, alg?: AcceptedAlgorithm): Promise<string[]>
  /** Progress, on standard error: standard output carries the tables alone. */
  log (line: string): void
}

/** Starts redis-server, runs `run`, and stops every process it started, whatever happens. */
export async function withBench (settings: Settings, run: (ctx: BenchContext) => Promise<void>): Promise<void> {
  const redis = await launchRedisServer({ dirPrefix: 'bcx-bench-redis-' })
  const services = serviceGroup()
  redis.onUnexpectedExit((how) => {
    console.error(`redis-server stopped during the run (${how}): no figures from this run`)
    services.killAll()
    process.exit(1)
  })
  let nextCustomer = 1
  const ctx: BenchContext = {
    settings,
    redis,
    services,
    async tokens (count, alg = 'HS512') {
      const first = nextCustomer
      nextCustomer += count
      return await mintTokens(count, first, alg)
    },
    log: (line) => { process.stderr.write(`${line}\n`) }
  }
  try {
    await run(ctx)
  } finally {
    await services.closeAll()
    await redis.close()
  }
}
