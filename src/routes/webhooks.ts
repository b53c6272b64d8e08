// POST /webhooks/bigcommerce (README, "Backend routes, revocation and webhooks"): revokes sessions when
// BigCommerce says a customer changed or the app left a store. Authenticated by the Standard Webhooks
// signature or the custom header; the cross-site rules do not apply and a session cookie is never read here.
// @see https://github.com/standard-webhooks/standard-webhooks/tree/main/libraries/javascript
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { BCX_ADMIN_UNAUTHORIZED, BCX_BAD_REQUEST } from '../errors.js'
import { secretEqual } from '../lib/secret-equal.js'
import { parseWebhookPayload, type WebhookEvent } from '../lib/webhook-payload.js'
import { errorResponses } from '../schemas.js'

const WEBHOOK_BODY_LIMIT = 16 * 1024
const CUSTOMER_SCOPES = new Set(['store/customer/deleted', 'store/customer/updated'])
const STORE_SCOPES = new Set(['store/app/uninstalled'])

const Outcome = Type.Object({
  status: Type.Union([Type.Literal('revoked'), Type.Literal('ignored')]),
  revoked: Type.Integer({ minimum: 0, description: 'sessions ended by this delivery (0 on a retry)' })
})

/**
 * BigCommerce keys the HMAC with the raw client secret; the standardwebhooks library expects a base64
 * key (whsec_ prefix optional), so each secret is base64-encoded first, as BigCommerce's own samples do.
 */
export function bigCommerceWebhookVerifier (clientSecret: string): Webhook {
  return new Webhook(Buffer.from(clientSecret, 'utf8').toString('base64'))
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === 'string' ? value : undefined
}

const webhookRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async function (fastify, { config }) {
  const verifiers = config.clientSecrets.map(bigCommerceWebhookVerifier)
  const customHeaderSecret = config.webhookSecret

  // The signature covers the exact bytes sent: keep the raw body, parse it only after verifying.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body)
  })

  const customSecretMatches = (request: FastifyRequest): boolean =>
    customHeaderSecret !== undefined && secretEqual(header(request, 'x-webhook-secret'), customHeaderSecret)
  const signed = (request: FastifyRequest): boolean =>
    header(request, 'webhook-id') !== undefined &&
    header(request, 'webhook-timestamp') !== undefined &&
    header(request, 'webhook-signature') !== undefined

  /**
   * Before the body is read: a delivery that can never authenticate (no signature headers, no matching
   * custom header) is refused at once and its connection closed, instead of holding a socket while a
   * body trickles in. The signature itself needs the body, so it is checked in the handler.
   */
  async function credentialsPresent (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (customSecretMatches(request) || signed(request)) return
    reply.header('connection', 'close')
    throw new BCX_ADMIN_UNAUTHORIZED()
  }

  function authentic (request: FastifyRequest, raw: Buffer): boolean {
    if (customSecretMatches(request)) return true
    const id = header(request, 'webhook-id')
    const timestamp = header(request, 'webhook-timestamp')
    const signature = header(request, 'webhook-signature')
    if (id === undefined || timestamp === undefined || signature === undefined) return false
    const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }
    // verify() also refuses a timestamp more than 5 minutes from now, either way.
    return verifiers.some((verifier) => {
      try {
        verifier.verify(raw, headers, { jsonParse: false })
        return true
      } catch {
        return false
      }
    })
  }

  async function revocationFor (event: WebhookEvent): Promise<number | null> {
    // A created_at in the future (a skewed or forged clock) must not lock a customer out for long.
    const cutoff = Math.min(event.createdAt, Math.floor(Date.now() / 1000) + config.clockTolerance)
    if (CUSTOMER_SCOPES.has(event.scope)) {
      if (event.dataId === null) throw new BCX_BAD_REQUEST('data.id must be the customer id')
      return await fastify.sessionStore.revokeCustomerSessions(event.storeHash, event.dataId, cutoff)
    }
    if (STORE_SCOPES.has(event.scope)) return await fastify.sessionStore.revokeStoreSessions(event.storeHash, cutoff)
    return null
  }

  fastify.post('/webhooks/bigcommerce', {
    bodyLimit: WEBHOOK_BODY_LIMIT,
    onRequest: credentialsPresent,
    schema: {
      summary: 'BigCommerce webhook callbacks: customer deleted or updated, app uninstalled',
      tags: ['webhooks'],
      response: {
        200: Outcome,
        ...errorResponses('BCX_BAD_REQUEST', 'BCX_ADMIN_UNAUTHORIZED', 'FST_ERR_CTP_BODY_TOO_LARGE',
          'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request) => {
    // POST without a body and without a Content-Type reaches here with no body at all.
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    if (!authentic(request, raw)) throw new BCX_ADMIN_UNAUTHORIZED()
    const parsed = parseWebhookPayload(raw)
    if (!parsed.ok) throw new BCX_BAD_REQUEST(`webhook payload: ${parsed.reason}`)
    const { event } = parsed
    const log = { scope: event.scope, storeHash: event.storeHash, customerId: event.dataId, createdAt: event.createdAt }
    // Served: the static list or an installed store (app mode), as for an exchange.
    if (!fastify.allowLists.storeServed(event.storeHash)) {
      request.log.info(log, 'webhook ignored: store not served')
      return { status: 'ignored' as const, revoked: 0 }
    }
    const revoked = await revocationFor(event)
    if (revoked === null) {
      request.log.info(log, 'webhook ignored: scope not handled')
      return { status: 'ignored' as const, revoked: 0 }
    }
    request.log.info({ ...log, revoked }, 'webhook revoked sessions')
    return { status: 'revoked' as const, revoked }
  })
}

export default webhookRoutes
