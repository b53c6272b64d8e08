// The stores served and the origins allowed, kept in memory so that no request asks Redis: the static
// lists from the configuration, plus the installed stores and their origins, followed through the
// registry's change channel and a periodic full reload.
import type { OriginPattern } from '../lib/origin.js'
import { boundedMemo } from '../lib/bounded-memo.js'
import { originCheck } from '../session/cross-site.js'
import { normalizeOrigin, type StoreOrigins, type Watch, type WatchedInstallRegistry } from './installs.js'
import type { AllowLists, SharedOrigin } from './types.js'

const NONE: ReadonlySet<string> = new Set()

export class InstalledAllowLists implements AllowLists {
  private readonly staticOrigin: (origin: string | undefined) => boolean
  private readonly normalized = boundedMemo(normalizeOrigin)
  private readonly originsByStore = new Map<string, readonly string[]>()
  private readonly storesByOrigin = new Map<string, Set<string>>()
  /** ALLOWED_ORIGINS' exact entries, normalized: an install claiming one shuts the static stores out of it. */
  private readonly exactStaticOrigins: ReadonlySet<string>

  /** `staticStores` null: any store (development without BC_STORE_HASHES, never in app mode). */
  constructor (private readonly staticStores: ReadonlySet<string> | null, staticOrigins: readonly OriginPattern[]) {
    // The static part's answers are remembered per origin; the installed part is a Map lookup.
    this.staticOrigin = originCheck(staticOrigins)
    this.exactStaticOrigins = new Set(staticOrigins.filter((p) => !p.wildcard).map((p) => `${p.scheme}://${p.host}${p.port === '' ? '' : `:${p.port}`}`))
  }

  // Arrow properties: handed around as plain functions (the token verifier, the CORS hook).
  readonly storeServed = (storeHash: string): boolean =>
    this.staticStores === null || this.staticStores.has(storeHash) || this.originsByStore.has(storeHash)

  readonly originAllowed = (origin: string | undefined): boolean =>
    origin !== undefined && (this.staticOrigin(origin) || this.storesOfOrigin(origin).size > 0)

  readonly storesOfOrigin = (origin: string): ReadonlySet<string> => {
    const exact = this.storesByOrigin.get(origin)
    if (exact !== undefined || this.storesByOrigin.size === 0) return exact ?? NONE
    // Browsers send the normalized form; anything else (an upper-case host, :443) is looked up once more.
    const n = this.normalized(origin)
    return n === null || n === origin ? NONE : this.storesByOrigin.get(n) ?? NONE
  }

  readonly sharedOrigins = (storeHash: string, origins: readonly string[]): SharedOrigin[] => {
    const shared: SharedOrigin[] = []
    for (const origin of origins) {
      const installedStores = [...this.storesOfOrigin(origin)].filter((s) => s !== storeHash).sort()
      const staticEntry = this.exactStaticOrigins.has(this.normalized(origin) ?? origin)
      if (installedStores.length > 0 || staticEntry) shared.push({ origin, installedStores, staticEntry })
    }
    return shared
  }

  /** Installed stores known here, with their origins. */
  get installed (): ReadonlyMap<string, readonly string[]> {
    return this.originsByStore
  }

  /** One store's origins, or null when it is not (or no longer) installed. */
  setStore (storeHash: string, origins: readonly string[] | null): void {
    const before = this.originsByStore.get(storeHash)
    for (const o of before ?? []) {
      const stores = this.storesByOrigin.get(o)
      stores?.delete(storeHash)
      if (stores?.size === 0) this.storesByOrigin.delete(o)
    }
    if (origins === null) {
      this.originsByStore.delete(storeHash)
      return
    }
    this.originsByStore.set(storeHash, origins.slice())
    for (const o of origins) {
      let stores = this.storesByOrigin.get(o)
      if (stores === undefined) this.storesByOrigin.set(o, stores = new Set())
      stores.add(storeHash)
    }
  }

  /** Every installed store at once; `keep` names stores whose newer state must not be overwritten. */
  replaceAll (all: StoreOrigins, keep: (storeHash: string) => boolean = () => false): void {
    for (const storeHash of [...this.originsByStore.keys()]) {
      if (!all.has(storeHash) && !keep(storeHash)) this.setStore(storeHash, null)
    }
    for (const [storeHash, origins] of all) if (!keep(storeHash)) this.setStore(storeHash, origins)
  }
}

export interface SyncLog {
  warn: (obj: object, msg: string) => void
  debug: (obj: object, msg: string) => void
}

export interface AllowListSync {
  /** Settles once subscribed and loaded, or once `startWaitMs` has passed (then it keeps trying). */
  started: Promise<void>
  reloadAll: () => Promise<void>
  stop: () => Promise<void>
}

export interface SyncOptions {
  /** The safety net under the change channel (ms). */
  intervalMs?: number
  /** After a failed load, the next attempt (ms): sooner than the periodic one. */
  retryMs?: number
  /** How long start-up waits for Redis before going on with the static lists only. */
  startWaitMs?: number
  log: SyncLog
}

/**
 * Subscribes first, then loads everything: a change published between the two is then heard, never
 * lost. A full reload never overwrites a store whose change message arrived after the reload began
 * (its state is newer than the snapshot); a store's own reloads apply only the latest one's answer.
 */
export function syncAllowLists (
  lists: InstalledAllowLists,
  registry: WatchedInstallRegistry,
  opts: SyncOptions
): AllowListSync {
  const { intervalMs = 30_000, retryMs = 1000, startWaitMs = 2000, log } = opts
  let seq = 0
  const touched = new Map<string, number>()
  let stopped = false
  let retry: NodeJS.Timeout | undefined

  function scheduleRetry (): void {
    if (stopped || retry !== undefined) return
    retry = setTimeout(() => {
      retry = undefined
      reloadAll().catch(() => {})
    }, retryMs).unref()
  }

  function changed (storeHash: string): void {
    const mine = ++seq
    touched.set(storeHash, mine)
    registry.originsOf(storeHash).then((origins) => {
      if (touched.get(storeHash) === mine && !stopped) lists.setStore(storeHash, origins)
    }, (err: unknown) => {
      log.warn({ storeHash, err: { message: (err as Error).message } },
        'install change not loaded; reloading all installs shortly')
      scheduleRetry()
    })
  }

  async function reloadAll (): Promise<void> {
    const began = seq
    try {
      const all = await registry.allOrigins()
      if (stopped) return
      lists.replaceAll(all, (storeHash) => (touched.get(storeHash) ?? 0) > began)
      for (const [storeHash, at] of touched) if (at <= began) touched.delete(storeHash)
      log.debug({ stores: all.size }, 'installs loaded')
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } },
        'installs not loaded; only the lists loaded before apply until Redis answers')
      scheduleRetry()
    }
  }

  const watch: Watch = registry.watch({ changed, resync: () => { reloadAll().catch(() => {}) } })
  const timer = setInterval(() => { reloadAll().catch(() => {}) }, intervalMs).unref()
  const loaded = watch.listening.then(reloadAll, () => { scheduleRetry() })
  let waited: NodeJS.Timeout | undefined
  const startWait = new Promise<void>((resolve) => { waited = setTimeout(resolve, startWaitMs).unref() })
  const started = Promise.race([loaded, startWait]).finally(() => clearTimeout(waited))

  return {
    started,
    reloadAll,
    stop: async () => {
      stopped = true
      clearInterval(timer)
      clearTimeout(retry)
      await watch.stop()
    }
  }
}
