// `request.bigcommerce`: the BigCommerce API client of the session's store, for /api routes (ours and
// app builders'). Its token is the store's own: from its install in app mode, BC_ACCESS_TOKEN for
// BC_STORE_HASH; any other store has no API access. Created on first use, so routes that never call
// BigCommerce cost nothing.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { BCX_UNAUTHENTICATED } from '../errors.js'
import {
  createBigCommerceClient,
  type BigCommerceClient,
  type HttpMethod,
  type Query,
  type RequestOptions
} from './client.js'
import { refused } from './failures.js'
import { StoreQuotas } from './quotas.js'
import type { StoreInstall } from '../app-mode/types.js'
import type { Customer } from '../customer.js'

export interface SessionBigCommerce extends BigCommerceClient {
  /** Whether the session's store has API access; a call without it fails with 502 BCX_BIGCOMMERCE_REFUSED. */
  available (): Promise<boolean>
}

export interface BigCommerceApi {
  /** A client with this token, sharing the app's rate-limit state and quota metric (the install steps). */
  client (storeHash: string, accessToken: string): BigCommerceClient
  /** The store's client with its own token; null: the store has no API access. */
  forStore (storeHash: string): Promise<BigCommerceClient | null>
}

declare module 'fastify' {
  interface FastifyInstance { bigcommerceApi: BigCommerceApi }
  interface FastifyRequest {
    /** The session's store's client; its calls need a customer session (the /api scope). */
    readonly bigcommerce: SessionBigCommerce
  }
}

/** What this plugin reads of the install registry: a store's token. */
export interface StoreTokens { get (storeHash: string): Promise<Pick<StoreInstall, 'accessToken'> | null> }

export interface BigCommercePluginOptions {
  config: Config
  /** Where installed stores' tokens are; default `fastify.installs` when app mode registered it. */
  installs?: StoreTokens
}

const kClient = Symbol('bcx.bigcommerce')

function createApi (fastify: FastifyInstance, { config, installs }: BigCommercePluginOptions): BigCommerceApi {
  const apiUrl = config.app?.apiUrl ?? config.bigcommerce?.apiUrl ?? 'https://api.bigcommerce.com'
  const quotas = new StoreQuotas((storeHash, left) => {
    fastify.metrics.bigcommerceQuota.set({ store_hash: storeHash }, left)
  })
  // One client per store and token: a re-install's new token replaces it.
  const clients = new Map<string, BigCommerceClient & { token: string }>()
  const client = (storeHash: string, accessToken: string): BigCommerceClient =>
    createBigCommerceClient({ storeHash, accessToken, apiUrl, quotas })

  async function tokenOf (storeHash: string): Promise<string | null> {
    const decorated = fastify.hasDecorator('installs')
      ? (fastify as unknown as { installs: StoreTokens }).installs
      : undefined
    const registry = installs ?? decorated
    const install = registry === undefined ? null : await registry.get(storeHash)
    if (install !== null) return install.accessToken
    return config.bigcommerce?.storeHash === storeHash ? config.bigcommerce.accessToken : null
  }

  return {
    client,
    async forStore (storeHash) {
      const token = await tokenOf(storeHash)
      if (token === null) {
        clients.delete(storeHash)
        return null
      }
      const cached = clients.get(storeHash)
      if (cached?.token === token) return cached
      const made = Object.assign(client(storeHash, token), { token })
      clients.set(storeHash, made)
      return made
    }
  }
}

function sessionClient (api: BigCommerceApi, request: FastifyRequest): SessionBigCommerce {
  let resolved: Promise<BigCommerceClient | null> | undefined
  const storeHash = (): string => {
    const customer = (request as { customer?: Customer | null }).customer
    if (customer === undefined || customer === null) throw new BCX_UNAUTHENTICATED()
    return customer.storeHash
  }
  const resolve = async (): Promise<BigCommerceClient | null> => await (resolved ??= api.forStore(storeHash()))
  const use = async (): Promise<BigCommerceClient> => {
    const client = await resolve()
    if (client === null) throw refused(`store ${storeHash()} has no API access`, null, 'this store has no API access')
    return client
  }
  const call = async (method: HttpMethod, path: string, opts: RequestOptions): Promise<unknown> =>
    await (await use()).request(method, path, opts)
  const q = (query: Query | undefined): RequestOptions => (query === undefined ? {} : { query })
  return {
    get storeHash () { return storeHash() },
    available: async () => (await resolve()) !== null,
    request: async (method, path, opts = {}) => await call(method, path, opts),
    get: async (path, query) => await call('GET', path, q(query)),
    post: async (path, body, query) => await call('POST', path, { ...q(query), body }),
    put: async (path, body, query) => await call('PUT', path, { ...q(query), body }),
    delete: async (path, query) => await call('DELETE', path, q(query))
  }
}

export default fp<BigCommercePluginOptions>(async function bigcommerce (fastify, opts) {
  const api = createApi(fastify, opts)
  fastify.decorate('bigcommerceApi', api)
  fastify.decorateRequest(kClient, null)
  fastify.decorateRequest('bigcommerce', {
    getter (this: FastifyRequest) {
      const self = this as FastifyRequest & { [kClient]: SessionBigCommerce | null }
      return (self[kClient] ??= sessionClient(api, this))
    }
  })
}, { name: 'bigcommerce', dependencies: ['metrics'] })
