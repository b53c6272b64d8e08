// "Where am I signed in?": the customer's sessions, and ending one, the others or all of them. Registered
// inside the /session scope, so the cross-site rules of /session come first and the session's origin
// binding holds (sessions.load): a read from another origin sees no session, a write is refused.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { BCX_BAD_REQUEST, BCX_SESSION_NOT_FOUND, BCX_UNAUTHENTICATED } from '../errors.js'
import { browserName, osName } from '../lib/user-agent.js'
import { sessionHandle } from '../store/session-id.js'
import type { ListedSession } from '../store/contract.js'
import { errorResponses } from '../schemas.js'

const isoDate = (description: string) => Type.String({ format: 'date-time', description })
const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

const listedFields = {
  handle: Type.String({
    description: 'Names the session in DELETE /session/list/{handle}; opaque, not a cookie, and no way to one'
  }),
  created_at: isoDate('When the session was made (the exchange)'),
  last_seen_at: nullable(isoDate('Last use, to the minute; null for a session made before it was kept')),
  expires_at: isoDate('When the session ends if not used again (idle deadline, capped by the absolute one)'),
  origin: nullable(Type.String({ description: 'The storefront origin that exchanged it' })),
  browser: nullable(Type.String({
    description: 'Browser family, from the User-Agent of the exchange ("Chrome", "Safari", ..., "Other"); ' +
      'null when unknown'
  })),
  os: nullable(Type.String({
    description: 'Operating system family ("Windows", "iOS", ..., "Other"); null when unknown'
  }))
}

const ListedItem = Type.Object(listedFields)
export type ListedBody = Static<typeof ListedItem>

/** The list for support: no `current`, since the caller has no session. */
export const AdminSessionListSchema = Type.Object({
  sessions: Type.Array(ListedItem, { description: 'Live sessions, the one created longest ago first' })
})

const SessionListSchema = Type.Object({
  sessions: Type.Array(Type.Object({
    ...listedFields,
    current: Type.Boolean({ description: 'The session of this very request' })
  }), { description: 'Live sessions, the one created longest ago first' })
})

export function listedBody (s: ListedSession): ListedBody {
  return {
    handle: s.handle,
    created_at: new Date(s.createdAt).toISOString(),
    last_seen_at: s.lastSeenAt === null ? null : new Date(s.lastSeenAt).toISOString(),
    expires_at: new Date(s.expiresAt).toISOString(),
    origin: s.origin,
    browser: browserName(s.agent.browser),
    os: osName(s.agent.os)
  }
}

const Scope = Type.Object({
  scope: Type.Optional(Type.String({ description: '`others`: every session but this one; `all`: this one too' }))
})

const sessionListRoutes: FastifyPluginAsyncTypebox = async function (fastify) {
  const store = fastify.sessionStore
  const ended = { 204: Type.Null({ description: 'Ended' }) }

  fastify.get('/session/list', {
    schema: {
      summary: 'This customer\'s live sessions; slides the idle timeout of this one',
      tags: ['session'],
      response: {
        200: SessionListSchema,
        ...errorResponses('BCX_UNAUTHENTICATED', 'BCX_CSRF_HEADER_MISSING', 'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request, reply) => {
    const session = await fastify.sessions.load(request, reply)
    if (session === null) throw new BCX_UNAUTHENTICATED()
    const own = sessionHandle(session.sid)
    const sessions = await store.list(session.record.customer.storeHash, session.record.customer.id)
    return { sessions: sessions.map((s) => ({ ...listedBody(s), current: s.handle === own })) }
  })

  fastify.delete('/session/list/:handle', {
    schema: {
      summary: 'End one of this customer\'s sessions (this one too: then the cookie is cleared)',
      tags: ['session'],
      params: Type.Object({ handle: Type.String({ description: 'A handle from GET /session/list' }) }),
      response: {
        ...ended,
        ...errorResponses('BCX_SESSION_NOT_FOUND', 'BCX_UNAUTHENTICATED', 'BCX_ORIGIN_REFUSED',
          'BCX_CSRF_HEADER_MISSING', 'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request, reply) => {
    const session = await fastify.sessions.load(request, reply)
    if (session === null) throw new BCX_UNAUTHENTICATED()
    const { handle } = request.params
    // Malformed, unknown, ended or another customer's: all alike, nothing changes.
    // The stores refuse a malformed handle themselves (it would become part of a key name).
    if (!await store.endByHandle(session.record.customer.storeHash, session.record.customer.id, handle)) {
      throw new BCX_SESSION_NOT_FOUND()
    }
    if (handle === sessionHandle(session.sid)) reply.clearSessionCookie()
    return reply.code(204).send(null)
  })

  fastify.delete('/session/list', {
    schema: {
      summary: 'End every other session of this customer (scope=others), or every one (scope=all, clears the cookie)',
      tags: ['session'],
      querystring: Scope,
      response: {
        ...ended,
        ...errorResponses('BCX_BAD_REQUEST', 'BCX_UNAUTHENTICATED', 'BCX_ORIGIN_REFUSED', 'BCX_CSRF_HEADER_MISSING',
          'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request, reply) => {
    const { scope } = request.query
    // Before the session is read: a bad request changes nothing, not even the idle deadline.
    if (scope !== 'others' && scope !== 'all') throw new BCX_BAD_REQUEST('scope must be "others" or "all"')
    const session = await fastify.sessions.load(request, reply)
    if (session === null) throw new BCX_UNAUTHENTICATED()
    const { customer } = session.record
    const keep = scope === 'others' ? sessionHandle(session.sid) : undefined
    await store.endSessions(customer.storeHash, customer.id, keep)
    if (scope === 'all') reply.clearSessionCookie()
    return reply.code(204).send(null)
  })
}

export default sessionListRoutes
