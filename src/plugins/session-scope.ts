// What every route that reads the session shares (/session and /api): the cross-site rules first,
// and no caching of anything that sets, clears or reveals a session.
import type { FastifyInstance } from 'fastify'
import { crossSiteGuard } from './cross-site.js'

export function applySessionScope (scope: FastifyInstance): void {
  // onSend: the last word, also over headers an upstream answered with.
  scope.addHook('onSend', function noStore (_request, reply, payload, done) {
    reply.header('Cache-Control', 'no-store')
    done(null, payload)
  })
  scope.addHook('onRequest', crossSiteGuard)
}
