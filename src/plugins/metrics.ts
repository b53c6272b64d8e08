// Prometheus metrics on a registry of this app's own (several apps in one process stay apart).
// @see https://github.com/siimon/prom-client
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface Metrics {
  registry: Registry
  exchanges: Counter<'outcome'>
  tokenSkew: Histogram
  sessions: Counter<'event' | 'reason'>
  storeOps: Histogram<'op' | 'result'>
  requests: Histogram<'method' | 'route' | 'status'>
  bigcommerceQuota: Gauge<'store_hash'>
}

declare module 'fastify' {
  interface FastifyInstance { metrics: Metrics }
  interface FastifyRequest {
    /** The error code answered, for the exchange outcome metric and the request log. */
    errorCode: string | null
  }
}

export function createMetrics (): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'bcx_' })
  return {
    registry,
    exchanges: new Counter({
      name: 'bcx_exchanges_total',
      help: 'POST /session by outcome: created, or the error code answered',
      labelNames: ['outcome'],
      registers: [registry]
    }),
    tokenSkew: new Histogram({
      name: 'bcx_token_clock_skew_seconds',
      help: 'now - iat of verified tokens: BigCommerce clock drift plus storefront latency',
      buckets: [-60, -10, -1, 0, 1, 2, 5, 10, 30, 60, 300, 900],
      registers: [registry]
    }),
    sessions: new Counter({
      name: 'bcx_sessions_total',
      help: 'Sessions created, ended and revoked, by reason',
      labelNames: ['event', 'reason'],
      registers: [registry]
    }),
    storeOps: new Histogram({
      name: 'bcx_store_operation_seconds',
      help: 'Session store operations (each one Redis round trip or script) by result',
      labelNames: ['op', 'result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry]
    }),
    requests: new Histogram({
      name: 'bcx_http_request_duration_seconds',
      help: 'Request durations by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry]
    }),
    bigcommerceQuota: new Gauge({
      name: 'bcx_bigcommerce_quota_remaining',
      help: 'Requests left in the store\'s BigCommerce API window, as its last answer said ' +
        '(X-Rate-Limit-Requests-Left)',
      labelNames: ['store_hash'],
      registers: [registry]
    })
  }
}

export default fp(async function metrics (fastify) {
  const m = createMetrics()
  fastify.decorate('metrics', m)
  fastify.decorateRequest('errorCode', null)
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'not-found'
    m.requests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000)
    if (route === '/session' && request.method === 'POST') {
      m.exchanges.inc({ outcome: reply.statusCode === 201 ? 'created' : request.errorCode ?? String(reply.statusCode) })
    }
  })
}, { name: 'metrics' })
