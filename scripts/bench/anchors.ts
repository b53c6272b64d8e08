// The anchors, measured in the same run as the service: a bare Fastify route, and the two
// stateless ways to know who is calling (a token verified on every request, an encrypted cookie).
import Fastify, { type FastifyInstance, type FastifyPluginCallback, type FastifyRequest } from 'fastify'
import { jwtVerify } from 'jose'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { BENCH } from './sessions.js'

// Loaded untyped: its types and @fastify/session's (test/design) both declare request.session.
const secureSession = createRequire(import.meta.url)('@fastify/secure-session') as
  FastifyPluginCallback<Record<string, unknown>>
type SecureSession = { get (key: string): unknown, set (key: string, value: unknown): void }
const sessionOf = (request: FastifyRequest): SecureSession => (request as unknown as { session: SecureSession }).session

export type AnchorMode = 'bare' | 'jwt' | 'secure-session'

const whoSchema = {
  response: {
    200: {
      type: 'object',
      properties: { customer: { type: 'object', properties: { id: { type: 'number' }, email: { type: 'string' } } } }
    },
    401: { type: 'null' }
  }
}

/** A bare Fastify route returning JSON, nothing registered: what any Fastify service costs here. */
function bare (): FastifyInstance {
  const app = Fastify({ logger: false })
  app.get('/healthz', {
    schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } }
  }, async () => ({ status: 'ok' }))
  return app
}

/**
 * jose verification of the BigCommerce token (HS512, as BigCommerce signs it) on every request, key
 * imported once (the sample apps' way).
 */
function jwt (): FastifyInstance {
  const app = Fastify({ logger: false })
  const secret = new TextEncoder().encode(BENCH.clientSecret)
  const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-512' }, false, ['verify'])
  app.get('/whoami', { schema: whoSchema }, async (request, reply) => {
    const token = request.headers.authorization?.slice('Bearer '.length) ?? ''
    try {
      const { payload } = await jwtVerify(token, await key,
        { algorithms: ['HS512'], issuer: 'bc/apps', audience: BENCH.clientId })
      return { customer: payload.customer }
    } catch {
      return await reply.code(401).send(null)
    }
  })
  return app
}

/** A stateless encrypted cookie (@fastify/secure-session, libsodium): GET /login?id=N sets it. */
function secureCookie (): FastifyInstance {
  const app = Fastify({ logger: false })
  app.register(secureSession,
    { key: randomBytes(32), cookie: { path: '/', httpOnly: true, secure: true, sameSite: 'none' } })
  app.register(async (scope) => {
    scope.get<{ Querystring: { id: string } }>('/login', async (request) => {
      const id = Number(request.query.id)
      sessionOf(request).set('customer', { id, email: `c${id}@example.com` })
      return { ok: true }
    })
    scope.get('/whoami', { schema: whoSchema }, async (request, reply) => {
      const customer = sessionOf(request).get('customer')
      if (customer === undefined) return await reply.code(401).send(null)
      return { customer }
    })
  })
  return app
}

export function anchorApp (mode: AnchorMode): FastifyInstance {
  return { bare, jwt, 'secure-session': secureCookie }[mode]()
}

/** Encrypted-cookie sessions from the secure-session anchor, one per customer. */
export async function anchorCookies (url: string, count: number): Promise<string[]> {
  const cookies: string[] = []
  for (let id = 1; id <= count; id++) {
    const res = await fetch(`${url}/login?id=${id}`)
    const cookie = res.headers.getSetCookie()[0]?.split(';', 1)[0]
    if (res.status !== 200 || cookie === undefined) {
      throw new Error(`the secure-session anchor gave no cookie (${res.status})`)
    }
    cookies.push(cookie)
  }
  return cookies
}
