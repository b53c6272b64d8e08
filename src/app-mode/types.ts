// The contracts of app mode: install records, where they are kept, and the allow-lists built from them.

export interface StoreInstall {
  storeHash: string
  /** Decrypted; never logged. At rest it is only ever encrypted. */
  accessToken: string
  scope: string
  /** Normalized origins (scheme://host[:port], lower-case host) read from the store's sites. */
  origins: string[]
  scriptUuid: string | null
  hookIds: number[]
  /** ms since the epoch */
  installedAt: number
  /** The installing owner, from the token endpoint's answer. */
  user?: { id: number, email: string }
  /** Steps that failed at install or load: shown on the merchant page and retried at the next load. */
  problems: string[]
}

export interface InstallRegistry {
  get (storeHash: string): Promise<StoreInstall | null>
  /** Creates or replaces (re-install); publishes the change to every instance. */
  put (install: StoreInstall): Promise<void>
  /** Partial update (origins, script, hooks, problems) after repair; publishes. null: not installed. */
  update (storeHash: string, change: Partial<Omit<StoreInstall, 'storeHash'>>): Promise<StoreInstall | null>
  /** Deletes token, origins, settings; publishes. false: it was not installed. */
  remove (storeHash: string): Promise<boolean>
  list (): Promise<string[]>
}

export interface AllowLists {
  /**
   * Served: in BC_STORE_HASHES (or any store when that is null in development) or installed.
   * Synchronous, in memory.
   */
  storeServed (storeHash: string): boolean
  /** Allowed: matches ALLOWED_ORIGINS or belongs to an installed store. Synchronous, in memory. */
  originAllowed (origin: string | undefined): boolean
  /** Installed stores an origin is known to belong to (empty: not bound to any store). */
  storesOfOrigin (origin: string): ReadonlySet<string>
  /**
   * Which of a store's origins another store has a claim on too: bound to another installed store, or
   * listed exactly in ALLOWED_ORIGINS (whose stores the binding then shuts out). Synchronous, in memory.
   */
  sharedOrigins (storeHash: string, origins: readonly string[]): SharedOrigin[]
}

export interface SharedOrigin {
  origin: string
  /** Other installed stores it is bound to (sorted). */
  installedStores: string[]
  /** Listed exactly (not through a wildcard) in ALLOWED_ORIGINS. */
  staticEntry: boolean
}
