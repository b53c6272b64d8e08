// Exchange rate limits on a store shared by every instance (Redis), per client address and per customer.
// @see https://github.com/fastify/fastify-rate-limit
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { Config } from '../config.js'
import { BCX_RATE_LIMITED } from '../errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    exchangeLimits: {
      /** onRequest hook, before any token work; null when RATE_LIMIT_EXCHANGE=0. */
      byAddress: onRequestAsyncHookHandler | null
      /** Counts one exchange of a verified customer; throws BCX_RATE_LIMITED past the limit. */
      byCustomer (request: FastifyRequest, storeHash: string, customerId: number): Promise<void>
    }
  }
}

const kCustomerKey = Symbol('bcx.rateLimitCustomer')
type Keyed = FastifyRequest & { [kCustomerKey]?: string }

export default fp<{ config: Config }>(async function exchangeRateLimit (fastify, { config }) {
  const max = config.rateLimitExchange
  if (max === 0) {
    fastify.decorate('exchangeLimits', { byAddress: null, byCustomer: async () => {} })
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
  fastify.decorate('exchangeLimits', {
    byAddress,
    async byCustomer (request: FastifyRequest, storeHash: string, customerId: number) {
      (request as Keyed)[kCustomerKey] = `customer:${storeHash}:${customerId}`
      const result = await customerLimit(request)
      if (!result.isAllowed && result.isExceeded) {
        throw Object.assign(new BCX_RATE_LIMITED(String(result.ttlInSeconds)), { retryAfter: result.ttlInSeconds })
      }
    }
  })
}, { name: 'rate-limit', dependencies: ['redis'] })
