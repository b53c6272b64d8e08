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
      /** Throws BCX_RATE_LIMITED when the verified customer has used up the allowance (counts nothing). */
      checkCustomer (request: FastifyRequest, storeHash: string, customerId: number): Promise<void>
      /** Counts one created session: refused exchanges (replays, revoked tokens) never use up a customer's allowance. */
      countCustomer (request: FastifyRequest, storeHash: string, customerId: number): Promise<void>
    }
  }
}

const kCustomerKey = Symbol('bcx.rateLimitCustomer')
type Keyed = FastifyRequest & { [kCustomerKey]?: string }

export default fp<{ config: Config }>(async function exchangeRateLimit (fastify, { config }) {
  const max = config.rateLimitExchange
  if (max === 0) {
    fastify.decorate('exchangeLimits', { byAddress: null, checkCustomer: async () => {}, countCustomer: async () => {} })
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
        const retryAfter = Math.max(1, result.ttlInSeconds)
        throw Object.assign(new BCX_RATE_LIMITED(String(retryAfter)), { retryAfter })
      }
    },
    async countCustomer (request: FastifyRequest, storeHash: string, customerId: number) {
      await customerLimit(keyed(request, storeHash, customerId))
    }
  })
}, { name: 'rate-limit', dependencies: ['redis'] })
