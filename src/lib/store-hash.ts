// What a BigCommerce store hash may look like. It becomes part of Redis key names and URLs, so
// anything else is refused wherever one arrives from outside.

/** The pattern without anchors, for JSON schemas and composed expressions. */
export const STORE_HASH_PATTERN = '[A-Za-z0-9]{1,64}'

const STORE_HASH = new RegExp(`^${STORE_HASH_PATTERN}$`)

export const isStoreHash = (value: string): boolean => STORE_HASH.test(value)

/** `stores/{store_hash}`: how BigCommerce names a store in OAuth contexts, signed payloads and webhooks. */
export const STORE_CONTEXT_PATTERN = `stores/${STORE_HASH_PATTERN}`

const STORE_CONTEXT = new RegExp(`^stores/(${STORE_HASH_PATTERN})$`)

/** The store hash of a `stores/{store_hash}` context; null for anything else. */
export const storeHashOfContext = (context: string): string | null => STORE_CONTEXT.exec(context)?.[1] ?? null
