// The session rules between the routes and the store: exchange, read with origin binding, end.
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { BCX_ORIGIN_REFUSED, BCX_TOKEN_REPLAYED, BCX_TOKEN_REVOKED } from '../errors.js'
import { createTokenVerifier, MAX_TOKEN_AGE_SECONDS } from '../token/verify-token.js'
import { newSessionId } from '../session/ids.js'
import { originTag } from '../store/session-id.js'
import type { SessionRecord } from '../store/contract.js'
import { agentCodes } from '../lib/user-agent.js'

export interface SessionBody {
  customer: { id: number, email: string, group_id: string | null }
  store_hash: string
  expires_at: string
}

/** A read gives back what the store keeps (contract.ts, StoredSession); these fields every session has. */
export interface LiveSession { sid: string, record: Pick<SessionRecord, 'customer' | 'absoluteAt'>, expiresAt: number }

// A named, exported interface: tsc drops an import that only a `declare module` block uses from the
// emitted .d.ts, and the shipped declarations would then name FastifyReply without importing it.
export interface SessionOperations {
  exchange (request: FastifyRequest, reply: FastifyReply, token: string): Promise<LiveSession>
  /** The session this request may see, or null (401); clears a dead cookie. */
  load (request: FastifyRequest, reply: FastifyReply): Promise<LiveSession | null>
  end (request: FastifyRequest, reply: FastifyReply): Promise<void>
  body (session: LiveSession): SessionBody
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionOperations
  }
}

export default fp<{ config: Config }>(async function sessions (fastify, { config }) {
  // Asked per token: installs and uninstalls change the answer without a restart.
  const verify = createTokenVerifier({ ...config, storeHashes: fastify.allowLists.storeServed })
  const idleMs = config.idleTimeout * 1000
  const store = fastify.sessionStore

  async function exchange (request: FastifyRequest, reply: FastifyReply, token: string): Promise<LiveSession> {
    const verified = await verify(token)
    const { customer, iat, exp } = verified
    const { storeHash } = customer
    // An installed store's origin exchanges only tokens of the stores it belongs to: another store's
    // shopper (a trial store anyone can create) cannot open a session on this storefront. An origin
    // allowed only by ALLOWED_ORIGINS (a wildcard, say) is bound to no store.
    const owners = fastify.allowLists.storesOfOrigin(request.headers.origin as string)
    if (owners.size > 0 && !owners.has(storeHash)) throw new BCX_ORIGIN_REFUSED('origin belongs to another store')
    fastify.metrics.tokenSkew.observe(Date.now() / 1000 - iat)
    await fastify.exchangeLimits.checkCustomer(request, storeHash, customer.id)
    const now = Date.now()
    // Whole seconds: the session id carries the absolute deadline in seconds.
    const absoluteAt = Math.floor(now / 1000 + config.absoluteTimeout) * 1000
    const record: SessionRecord = {
      customer,
      origin: request.headers.origin as string,
      iat,
      absoluteAt,
      agent: agentCodes(request.headers['user-agent'])
    }
    const sid = newSessionId({ storeHash, customerId: customer.id, absoluteAt })
    // The guard outlives every moment at which the token could still verify.
    const guardTtlMs = (Math.min(exp, iat + MAX_TOKEN_AGE_SECONDS) + config.clockTolerance + 1) * 1000 - now
    const outcome = await store.exchange({
      sid,
      record,
      fingerprint: verified.fingerprint,
      guardTtlMs,
      idleMs,
      maxPerCustomer: config.maxSessionsPerCustomer
    })
    if (outcome === 'revoked') throw new BCX_TOKEN_REVOKED()
    if (outcome === 'replayed') throw new BCX_TOKEN_REPLAYED()
    // The token is spent and the session made: what follows must not turn that into an error.
    await afterCreated(request, storeHash, customer.id)
    reply.setSessionCookie(sid, absoluteAt)
    return { sid, record, expiresAt: now + Math.min(idleMs, absoluteAt - now) }
  }

  /**
   * Counts the exchange against the customer's allowance and ends this browser's previous session (it
   * is never reused: no fixation). Only after success, so a refused exchange changes nothing; best
   * effort, since the new session already exists and the cookie must reach the browser.
   */
  async function afterCreated (request: FastifyRequest, storeHash: string, customerId: number): Promise<void> {
    const previous = request.sessionCookie()
    const results = await Promise.allSettled([
      fastify.exchangeLimits.countCustomer(request, storeHash, customerId),
      previous.state === 'valid' ? store.destroy(previous.sid) : undefined
    ])
    for (const r of results) {
      if (r.status === 'rejected') {
        request.log.warn({ cause: (r.reason as Error).message }, 'after-exchange step failed')
      }
    }
  }

  async function load (request: FastifyRequest, reply: FastifyReply): Promise<LiveSession | null> {
    const cookie = request.sessionCookie()
    if (cookie.state === 'none') return null
    const found = cookie.state === 'valid' ? await store.read(cookie.sid, idleMs) : null
    if (cookie.state !== 'valid' || found === null) {
      reply.clearSessionCookie()
      return null
    }
    const origin = request.headers.origin
    // A session belongs to the origin that exchanged it; a request without Origin is judged by the cookie.
    if (origin !== undefined && originTag(origin) !== found.record.originTag) {
      const reads = request.method === 'GET' || request.method === 'HEAD'
      if (!reads) throw new BCX_ORIGIN_REFUSED('not the session\'s origin')
      return null
    }
    if (cookie.renew) reply.setSessionCookie(cookie.sid, found.record.absoluteAt)
    return { sid: cookie.sid, ...found }
  }

  async function end (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const cookie = request.sessionCookie()
    if (cookie.state === 'none') return
    if (cookie.state === 'valid') {
      const outcome = await store.destroy(cookie.sid, request.headers.origin)
      if (outcome === 'foreign') throw new BCX_ORIGIN_REFUSED('not the session\'s origin')
    }
    reply.clearSessionCookie()
  }

  const body = ({ record: { customer }, expiresAt }: LiveSession): SessionBody => ({
    customer: { id: customer.id, email: customer.email, group_id: customer.groupId },
    store_hash: customer.storeHash,
    expires_at: new Date(expiresAt).toISOString()
  })

  fastify.decorate('sessions', { exchange, load, end, body })
}, { name: 'sessions', dependencies: ['session-store', 'session-cookie', 'rate-limit', 'app-installs'] })
