// The install registry and the allow-lists built from it. Outside app mode the allow-lists hold the
// static lists only, so the rest of the service asks them either way.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { InstalledAllowLists, syncAllowLists, type AllowListSync } from './allow-lists.js'
import { createMemoryInstallRegistry, createRedisInstallRegistry } from './installs.js'
import { createTokenCipher } from './token-cipher.js'
import type { AllowLists, InstallRegistry } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Install records. Outside app mode (PUBLIC_URL unset) no store is installed and none can be. */
    installs: InstallRegistry
    /** Stores served and origins allowed, in memory: no request waits for Redis because of them. */
    allowLists: AllowLists
  }
}

const appModeOff = async (): Promise<never> => {
  throw new Error('app mode is off (PUBLIC_URL is unset): no store can be installed')
}

/** Single-store mode: nothing is installed, and writing an install is a programming error. */
const noInstalls: InstallRegistry = {
  get: async () => null,
  put: appModeOff,
  update: async () => null,
  remove: async () => false,
  list: async () => []
}

export default fp<{ config: Config }>(async function appInstalls (fastify, { config }) {
  const lists = new InstalledAllowLists(config.storeHashes, config.allowedOrigins)
  fastify.decorate<AllowLists>('allowLists', lists)
  if (config.app === undefined) {
    fastify.decorate<InstallRegistry>('installs', noInstalls)
    return
  }
  const registry = fastify.redis === null
    ? createMemoryInstallRegistry()
    : createRedisInstallRegistry(fastify.redis, createTokenCipher(config.app.tokenKeys), {
      onPublishError: (err) => fastify.log.warn({ err: { message: err.message } },
        'install change not announced; other instances see it at their next full reload (30 s)'),
      onUnreadable: (storeHash, err) => fastify.log.error({ storeHash, err: { message: err.message } },
        'install record unreadable: the store is not served until it installs again')
    })
  fastify.decorate<InstallRegistry>('installs', registry)

  let sync: AllowListSync | undefined
  fastify.addHook('onReady', async () => {
    // Waits for the installs no longer than a request waits for Redis: started without it, the
    // service answers with the static lists and loads the installs once Redis answers.
    sync = syncAllowLists(lists, registry, { log: fastify.log, startWaitMs: config.redisCommandTimeoutMs })
    await sync.started
  })
  fastify.addHook('onClose', async () => { await sync?.stop() })
}, { name: 'app-installs', dependencies: ['redis'] })
