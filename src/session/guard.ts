// Who may use a session: every route that reads one (/session and /api) applies the cross-site rules
// first and caches nothing; the /api scope then loads the customer, so routes read `request.customer`,
// never anything the browser claims.
import type { FastifyInstance } from 'fastify'
import type { Customer } from '../customer.js'
import { BCX_UNAUTHENTICATED } from '../errors.js'
import { crossSiteGuard } from './cross-site.js'
import type { LiveSession } from './rules.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in customer, set before any /api handler runs. */
    customer: Customer
    /** The session the customer was read from (its id, deadlines and record). */
    customerSession: LiveSession
  }
}

/** The cross-site rules and no caching of anything that sets, clears or reveals a session. */
export function applySessionScope (scope: FastifyInstance): void {
  // onSend: the last word, also over headers an upstream answered with.
  scope.addHook('onSend', function noStore (_request, reply, payload, done) {
    reply.header('Cache-Control', 'no-store')
    done(null, payload)
  })
  scope.addHook('onRequest', crossSiteGuard)
}

/** Applies the guard to an encapsulated scope (the /api prefix, or an app builder's own). */
export function requireCustomerSession (scope: FastifyInstance): void {
  applySessionScope(scope)
  scope.decorateRequest('customer', null as unknown as Customer)
  scope.decorateRequest('customerSession', null as unknown as LiveSession)
  // onRequest, after the cross-site guard and before any body is read: without a session the service
  // reads nothing (an upstream-bound body can be 64 KiB). Callback style: one promise fewer on every
  // /api request.
  scope.addHook('onRequest', function loadCustomer (request, reply, done) {
    scope.sessions.load(request, reply).then((session) => {
      if (session === null) return done(new BCX_UNAUTHENTICATED())
      request.customerSession = session
      request.customer = session.record.customer
      done()
    }, done)
  })
}
