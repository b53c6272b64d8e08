// The stand-in BigCommerce (src/dev/stand-in-bigcommerce.ts) as the single-store tests use it: one
// store with a pre-issued access token, its orders, and a switch for the failures BigCommerce produces.
import { startStandInBigCommerce, type Fault, type StandInOrder } from '../../src/dev/stand-in-bigcommerce.js'

export type { StandInOrder } from '../../src/dev/stand-in-bigcommerce.js'

export type Mode = 'ok' | Fault

export interface StandInBigCommerce {
  url: string
  storeHash: string
  accessToken: string
  orders: StandInOrder[]
  mode: Mode
  /** Every request received: method, path with query, X-Auth-Token. */
  requests: Array<{ method: string, url: string, token: string | undefined }>
  close (): Promise<void>
}

export async function startBigCommerceApi ({
  storeHash = 'abc123',
  accessToken = 'bc-access-token-test'
} = {}): Promise<StandInBigCommerce> {
  const bc = await startStandInBigCommerce()
  bc.grantToken(storeHash, accessToken)
  const store = bc.store(storeHash)
  return {
    url: bc.url,
    storeHash,
    accessToken,
    get orders () { return store.orders },
    set orders (orders) { store.orders = orders },
    get mode () { return bc.fault ?? 'ok' },
    set mode (mode) { bc.fault = mode === 'ok' ? null : mode },
    requests: bc.requests,
    close: bc.close
  }
}
