// Install records: one per store, in Redis (or in this process for development), the access token
// sealed before it leaves this module. Every change is announced on a pub/sub channel so that each
// instance's in-memory allow-lists follow within a second.
import { Cluster, type RedisOptions } from 'ioredis'
import type { RedisClient } from '../store/redis-store.js'
import { parseOriginPattern } from '../lib/origin.js'
import type { TokenCipher } from './token-cipher.js'
import type { InstallRegistry, StoreInstall } from './types.js'
import { isStoreHash } from '../lib/store-hash.js'

export const CHANGED_CHANNEL = 'bcx:app:changed'
/** One slot for the list of stores: it is small, and one SMEMBERS reads it on a Cluster too. */
export const STORES_KEY = 'bcx:{app}:stores'
/** Everything of one store shares the hash tag {app:<hash>} (the signed payloads' jti keys too). */
export const installKey = (storeHash: string): string => `bcx:{app:${storeHash}}:install`

/** What the allow-lists need of a store, read without decrypting its token. */
export type StoreOrigins = Map<string, readonly string[]>

export interface WatchedInstallRegistry extends InstallRegistry {
  /** Origins of one installed store (null: not installed); its token stays sealed. */
  originsOf (storeHash: string): Promise<readonly string[] | null>
  /** Origins of every installed store. */
  allOrigins (): Promise<StoreOrigins>
  /**
   * Hears every change, from any instance: `changed` with the store hash, `resync` when messages may
   * have been missed (the subscriber reconnected). `listening` settles once subscribed (it waits for
   * Redis as long as it takes); `stop` ends it.
   */
  watch (listener: RegistryListener): Watch
}

export interface RegistryListener { changed: (storeHash: string) => void, resync: () => void }
export interface Watch { listening: Promise<void>, stop: () => Promise<void> }

/** scheme://host[:port], lower-case host, no default port; null for anything else (wildcards included). */
export function normalizeOrigin (origin: string): string | null {
  const p = parseOriginPattern(origin)
  if (p === null || p.wildcard) return null
  return `${p.scheme}://${p.host}${p.port === '' ? '' : `:${p.port}`}`
}

/** Refuses what the lookups could never match, and keeps one spelling of each origin. */
function checked (install: StoreInstall): StoreInstall {
  if (!isStoreHash(install.storeHash)) throw new TypeError(`not a store hash: "${install.storeHash}"`)
  return { ...install, origins: normalizedOrigins(install.origins) }
}

function normalizedOrigins (origins: readonly string[]): string[] {
  return [...new Set(origins.map((o) => {
    const n = normalizeOrigin(o)
    if (n === null) throw new TypeError(`not an origin (scheme://host[:port]): "${o}"`)
    return n
  }))]
}

/** The record at rest: the install with its token sealed, the store hash authenticated with it. */
interface SealedRecord extends Omit<StoreInstall, 'accessToken'> { v: 1, token: string }

function seal (install: StoreInstall, cipher: TokenCipher): string {
  const { accessToken, ...rest } = install
  const record: SealedRecord = { v: 1, ...rest, token: cipher.encrypt(accessToken, install.storeHash) }
  return JSON.stringify(record)
}

function parseRecord (json: string): SealedRecord {
  const record = JSON.parse(json) as Partial<SealedRecord> | null
  if (record?.v !== 1 || typeof record.storeHash !== 'string' || typeof record.token !== 'string' ||
    !Array.isArray(record.origins) || !record.origins.every((o) => typeof o === 'string')) {
    throw new Error('install record is not one this service wrote')
  }
  return record as SealedRecord
}

/**
 * Opened with the store hash it was read for, never the one inside: a whole record copied under another
 * store's key must not decrypt (the token is bound to the hash it was sealed for).
 */
function open (record: SealedRecord, cipher: TokenCipher, storeHash: string): StoreInstall {
  const { v: _v, token, ...rest } = record
  return { ...rest, storeHash, accessToken: cipher.decrypt(token, storeHash) }
}

/** A record kept under one store's key that names another store: copied there, never written by us. */
export class MisplacedRecordError extends Error {
  constructor (readonly storeHash: string, readonly named: string) {
    super(`install record under ${storeHash} names store ${named}`)
    this.name = 'MisplacedRecordError'
  }
}

// Writes the record only if nobody changed it since it was read: two repairs of one store (a load on
// each of two instances) must not lose one another's changes.
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`

/**
 * A subscribed connection can send nothing else, so it is a connection of its own (on a Cluster too:
 * PUBLISH reaches every node's subscribers). Unlike the request path's, it waits for Redis as long as
 * it takes: a subscription is no request that a client waits for, and ioredis subscribes again after
 * each reconnect.
 */
function subscriberOf (redis: RedisClient): RedisClient {
  // ioredis sets a timer for any numeric commandTimeout, 0 included: only undefined turns it off.
  const patient: RedisOptions = { enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null }
  if (redis instanceof Cluster) {
    const redisOptions = { ...redis.options.redisOptions, ...patient }
    return redis.duplicate([], { enableOfflineQueue: true, redisOptions })
  }
  return redis.duplicate(patient)
}

export interface RedisRegistryOptions {
  /** A failed announcement is not a failed write: the periodic reload catches up. */
  onPublishError?: (err: Error) => void
  /** A record that does not parse: its store is not served until it is installed again. */
  onUnreadable?: (storeHash: string, err: Error) => void
}

export function createRedisInstallRegistry (
  redis: RedisClient,
  cipher: TokenCipher,
  opts: RedisRegistryOptions = {}
): WatchedInstallRegistry {
  async function announce (storeHash: string): Promise<void> {
    try {
      await redis.publish(CHANGED_CHANNEL, storeHash)
    } catch (err) {
      opts.onPublishError?.(err as Error)
    }
  }

  /** The record kept under the store's key; one that names another store is refused (logged) as not installed. */
  async function read (storeHash: string): Promise<SealedRecord | null> {
    if (!isStoreHash(storeHash)) return null
    const json = await redis.get(installKey(storeHash))
    if (json === null) return null
    const record = parseRecord(json)
    if (record.storeHash !== storeHash) {
      opts.onUnreadable?.(storeHash, new MisplacedRecordError(storeHash, record.storeHash))
      return null
    }
    return record
  }

  return {
    async get (storeHash) {
      const record = await read(storeHash)
      return record === null ? null : open(record, cipher, storeHash)
    },

    async put (install) {
      const valid = checked(install)
      // The record before the list: a store listed is a store whose record can be read.
      await redis.set(installKey(valid.storeHash), seal(valid, cipher))
      await redis.sadd(STORES_KEY, valid.storeHash)
      await announce(valid.storeHash)
    },

    async update (storeHash, change) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const key = installKey(storeHash)
        const before = isStoreHash(storeHash) ? await redis.get(key) : null
        if (before === null) return null
        const record = parseRecord(before)
        if (record.storeHash !== storeHash) {
          opts.onUnreadable?.(storeHash, new MisplacedRecordError(storeHash, record.storeHash))
          return null
        }
        const current = open(record, cipher, storeHash)
        const next: StoreInstall = { ...current, ...change, storeHash }
        if (change.origins !== undefined) next.origins = normalizedOrigins(change.origins)
        // Sealed afresh on every write: a token sealed by a key being rotated out moves to the current one.
        const written = await redis.eval(COMPARE_AND_SET, 1, key, before, seal(next, cipher))
        if (written === 1) {
          await announce(storeHash)
          return next
        }
      }
      throw new Error(`install record of ${storeHash} kept changing under the update`)
    },

    async remove (storeHash) {
      if (!isStoreHash(storeHash)) return false
      // The list before the record, the reverse of put.
      const listed = await redis.srem(STORES_KEY, storeHash)
      const deleted = await redis.del(installKey(storeHash))
      await announce(storeHash)
      return listed + deleted > 0
    },

    async list () {
      return (await redis.smembers(STORES_KEY)).sort()
    },

    async originsOf (storeHash) {
      return (await read(storeHash))?.origins ?? null
    },

    async allOrigins () {
      const stores = await redis.smembers(STORES_KEY)
      // One GET each (no MGET: on a Cluster the keys live in different slots).
      const records = await Promise.all(stores.map(async (s) => await read(s).catch((err: unknown) => {
        // One unreadable record must not keep every other store from loading: it alone is left out.
        if (err instanceof SyntaxError || (err as Error).message.startsWith('install record')) {
          opts.onUnreadable?.(s, err as Error)
          return null
        }
        throw err
      })))
      const out: StoreOrigins = new Map()
      stores.forEach((s, i) => { const record = records[i]; if (record != null) out.set(s, record.origins) })
      return out
    },

    watch ({ changed, resync }) {
      const subscriber = subscriberOf(redis)
      subscriber.on('error', () => {})
      let readyOnce = false
      subscriber.on('ready', () => {
        // ioredis subscribes again after a reconnect; what was published meanwhile is lost: reload all.
        if (readyOnce) resync()
        readyOnce = true
      })
      subscriber.on('message', (channel: string, message: string) => {
        if (channel === CHANGED_CHANNEL && isStoreHash(message)) changed(message)
      })
      const listening = subscriber.subscribe(CHANGED_CHANNEL).then(() => {})
      listening.catch(() => {})
      return {
        listening,
        stop: async () => {
          await subscriber.quit().catch(() => {})
          subscriber.disconnect()
        }
      }
    }
  }
}

/** The in-process form, for development without Redis: nothing shared, nothing kept. */
export function createMemoryInstallRegistry (): WatchedInstallRegistry {
  const installs = new Map<string, StoreInstall>()
  const listeners = new Set<(storeHash: string) => void>()
  const clone = (i: StoreInstall): StoreInstall => structuredClone(i)
  const announce = (storeHash: string): void => { for (const l of listeners) l(storeHash) }

  return {
    async get (storeHash) {
      const found = installs.get(storeHash)
      return found === undefined ? null : clone(found)
    },
    async put (install) {
      const valid = checked(install)
      installs.set(valid.storeHash, clone(valid))
      announce(valid.storeHash)
    },
    async update (storeHash, change) {
      const current = installs.get(storeHash)
      if (current === undefined) return null
      const next: StoreInstall = clone({ ...current, ...change, storeHash })
      if (change.origins !== undefined) next.origins = normalizedOrigins(change.origins)
      installs.set(storeHash, next)
      announce(storeHash)
      return clone(next)
    },
    async remove (storeHash) {
      const existed = installs.delete(storeHash)
      announce(storeHash)
      return existed
    },
    async list () {
      return [...installs.keys()].sort()
    },
    async originsOf (storeHash) {
      return installs.get(storeHash)?.origins.slice() ?? null
    },
    async allOrigins () {
      return new Map([...installs].map(([hash, i]) => [hash, i.origins.slice()]))
    },
    watch ({ changed }) {
      listeners.add(changed)
      return { listening: Promise.resolve(), stop: async () => { listeners.delete(changed) } }
    }
  }
}
