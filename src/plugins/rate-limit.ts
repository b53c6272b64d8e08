// Exchange rate limits on a store shared by every instance (Redis), per client address and per customer.
// @see https://github.com/fastify/fastify-rate-limit
import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { Config } from '../config.js'
import { BCX_RATE_LIMITED, retryLater } from '../errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    exchangeLimits: {
      /** onRequest hook, before any token work; null when RATE_LIMIT_EXCHANGE=0. */
      byAddress: onRequestAsyncHookHandler | null
      /** Throws BCX_RATE_LIMITED when the verified customer has used up the allowance (counts nothing). */
      checkCustomer (request: FastifyRequest, storeHash: string, customerId: number): Promise<void>
      /**
       * Counts one created session: refused exchanges (replays, revoked tokens) never use up a
       * customer's allowance.
       */
      countCustomer (request: FastifyRequest, storeHash: string, customerId: number): Promise<void>
    }
    /**
     * onRequest hook for the app's BigCommerce callbacks, per client address; null when
     * RATE_LIMIT_EXCHANGE=0. Each install callback makes the service send the client secret to
     * BigCommerce's token endpoint and wait for it: nobody may make it do so at will.
     */
    appCallbackLimit: onRequestAsyncHookHandler | null
  }
}

/** App callbacks (/bigcommerce/*) per client address per minute: far more than a merchant clicks. */
export const APP_CALLBACKS_PER_MINUTE = 30

const kCustomerKey = Symbol('bcx.rateLimitCustomer')
type Keyed = FastifyRequest & { [kCustomerKey]?: string }

export default fp<{ config: Config }>(async function exchangeRateLimit (fastify, { config }) {
  const max = config.rateLimitExchange
  if (max === 0) {
    fastify.decorate('exchangeLimits', {
      byAddress: null,
      checkCustomer: async () => {},
      countCustomer: async () => {}
    })
    fastify.decorate('appCallbackLimit', null)
    return
  }
  await fastify.register(rateLimit, {
    global: false,
    ...(fastify.redis !== null && { redis: fastify.redis }),
    nameSpace: 'bcx:rl:',
    // Redis down: the error reaches our handler as a 503; the limiter never fails open.
    skipOnError: false,
    errorResponseBuilder: (_request, context) => new BCX_RATE_LIMITED(String(Math.ceil(context.ttl / 1000)))
  })
  const timeWindow = 60_000
  const byAddress = fastify.rateLimit({ max, timeWindow, ipv6Subnet: 64 }) as onRequestAsyncHookHandler
  const customerLimit = fastify.createRateLimit({
    max,
    timeWindow,
    keyGenerator: (request) => (request as Keyed)[kCustomerKey] as string
  })
  const keyed = (request: FastifyRequest, storeHash: string, customerId: number): FastifyRequest => {
    (request as Keyed)[kCustomerKey] = `customer:${storeHash}:${customerId}`
    return request
  }
  fastify.decorate('exchangeLimits', {
    byAddress,
    async checkCustomer (request: FastifyRequest, storeHash: string, customerId: number) {
      const result = await customerLimit(keyed(request, storeHash, customerId), { increment: false })
      if (!result.isAllowed && result.remaining === 0) {
        throw retryLater('BCX_RATE_LIMITED', result.ttlInSeconds * 1000)
      }
    },
    async countCustomer (request: FastifyRequest, storeHash: string, customerId: number) {
      await customerLimit(keyed(request, storeHash, customerId))
    }
  })
  // Its own key space: these counters and the exchanges' share one store and one prefix.
  fastify.decorate('appCallbackLimit', fastify.rateLimit({
    max: APP_CALLBACKS_PER_MINUTE,
    timeWindow,
    // The library's own grouping, as for the exchanges' key: IPv6 by its /64.
    keyGenerator: (request) => `app-callbacks:${normalizeIP(request.ip, 64)}`
  }) as onRequestAsyncHookHandler)
}, { name: 'rate-limit', dependencies: ['redis'] })
