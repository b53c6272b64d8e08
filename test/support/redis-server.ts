// Real redis-server processes on free ports, so tests can stop, hang and restart them: the launcher
// the benchmark uses too (src/dev/redis-server.ts), with the tests' start-up bound.
import { launchRedisServer, type RedisServer } from '../../src/dev/redis-server.js'

export { freePort, type RedisServer } from '../../src/dev/redis-server.js'

/** TEST_START_TIMEOUT_MS raises it where test files running in parallel slow every start down. */
const START_TIMEOUT_MS = Number(process.env.TEST_START_TIMEOUT_MS ?? 60_000)

/** `args`: extra redis-server arguments, e.g. ['--appendonly', 'yes', '--appendfsync', 'always']. */
export async function startRedisServer (args: string[] = [], port?: number): Promise<RedisServer> {
  return await launchRedisServer({ args, port, startTimeoutMs: START_TIMEOUT_MS })
}
