// The session cookie: signed with SESSION_SECRET (rotation: the first signs, all verify), always
// Secure, cleared with the same attributes it was set with.
// @see https://github.com/fastify/fastify-cookie
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import type { FastifyRequest } from 'fastify'
import type { Config } from '../config.js'

export type SessionCookie =
  | { state: 'none' }
  | { state: 'invalid' }
  /** `renew`: signed with a previous secret, so the reply signs it again with the current one. */
  | { state: 'valid', sid: string, renew: boolean }

declare module 'fastify' {
  interface FastifyRequest {
    /** Parses and verifies our cookie only: routes outside /session and /api never call it. */
    sessionCookie (): SessionCookie
  }
  interface FastifyReply {
    setSessionCookie (sid: string, absoluteAt: number): FastifyReply
    clearSessionCookie (): FastifyReply
  }
}

// Session ids and their signatures never need more; a longer value is refused unparsed.
const MAX_COOKIE_VALUE = 512

export default fp<{ config: Config }>(async function sessionCookie (fastify, { config }) {
  // hook: false — the Cookie header is parsed only where a session is read, never on other routes.
  await fastify.register(cookie, { secret: config.sessionSecrets, hook: false })
  const { name, sameSite, partitioned, domain } = config.cookie
  // Always Secure: behind a TLS proxy the request arrives as plain HTTP, and browsers
  // keep Secure cookies from http://localhost.
  const attributes = {
    httpOnly: true,
    secure: true,
    path: '/',
    sameSite,
    partitioned,
    ...(domain !== undefined && { domain })
  }

  fastify.decorateRequest('sessionCookie', function (this: FastifyRequest): SessionCookie {
    const header = this.headers.cookie
    if (header === undefined || !header.includes(name)) return { state: 'none' }
    const raw = fastify.parseCookie(header)[name]
    if (raw === undefined) return { state: 'none' }
    if (raw.length > MAX_COOKIE_VALUE) return { state: 'invalid' }
    const { valid, renew, value } = fastify.unsignCookie(raw)
    return valid && value !== null ? { state: 'valid', sid: value, renew } : { state: 'invalid' }
  })

  fastify.decorateReply('setSessionCookie', function (sid: string, absoluteAt: number) {
    const maxAge = Math.max(0, Math.floor((absoluteAt - Date.now()) / 1000))
    return this.setCookie(name, sid, { ...attributes, maxAge, signed: true })
  })

  fastify.decorateReply('clearSessionCookie', function () {
    return this.clearCookie(name, attributes)
  })
}, { name: 'session-cookie' })
