// The app's install lifecycle callbacks, opened by the merchant's browser from BigCommerce's control
// panel: install (auth), load, uninstall, remove-user, and the merchant page's "sign out every shopper".
// They answer small HTML pages; the status says what happened (400 bad input, 401 a bad signed payload,
// 403 a store not installed, 429 too many callbacks from one address, 502 BigCommerce refused, 200 done).
// A refusal changes nothing.
// Registered only in app mode (PUBLIC_URL).
// @see https://developer.bigcommerce.com/docs/integrations/apps/guide/callbacks
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { AppConfig, Config } from '../../config.js'
import { BCX_SIGNED_PAYLOAD_INVALID, BCX_STORE_NOT_ALLOWED } from '../../errors.js'
import { toHttpError } from '../../plugins/error-handler.js'
import { isRedisError } from '../../lib/redis-errors.js'
import { createBigCommerceClient } from '../../bigcommerce/client.js'
import { exchangeAuthCode, type AuthCodeExchange, type AuthorizedStore } from '../../bigcommerce/oauth.js'
import { createFormTokenCodec } from '../../app-mode/form-token.js'
import {
  deleteHooks,
  MAX_STORE_ORIGINS,
  setUpStore,
  type AppEndpoints,
  type StepFailure,
  type StoreApi
} from '../../app-mode/install-steps.js'
import {
  createMemoryJtiGuard,
  createRedisJtiGuard,
  createSignedPayloadVerifier
} from '../../app-mode/signed-payload.js'
import type { SharedOrigin, StoreInstall } from '../../app-mode/types.js'
import { createLiveSessionCounter } from './live-sessions.js'
import { CUSTOMER_SESSIONS_PATH, customerSessionsBody, merchantBody, REVOKE_PATH } from './merchant-page.js'
import { listedBody } from '../session-list.js'
import { html, sendPage } from './page.js'
import { STORE_CONTEXT_PATTERN } from '../../lib/store-hash.js'

export interface BigCommerceCallbackOptions {
  config: Config & { app: AppConfig }
  /** The store API with a store's token; the real client unless a test passes another. */
  storeApi?: (storeHash: string, accessToken: string) => StoreApi
  exchangeCode?: (o: AuthCodeExchange) => Promise<AuthorizedStore>
}

const StoreContext = Type.String({ pattern: `^${STORE_CONTEXT_PATTERN}$`, description: 'stores/{store_hash}' })
const SignedPayloadQuery = Type.Object({
  signed_payload_jwt: Type.String({
    minLength: 1,
    maxLength: 8192,
    description: 'HS256 JWT signed with the client secret'
  })
})
/** The app's shared BigCommerce client factory, as the bigcommerce plugin decorates the instance with it. */
interface SharedClients { bigcommerceApi: { client: (storeHash: string, token: string) => StoreApi } }

const HtmlPage = Type.String({ description: 'a small HTML page' })
const page = (description: string): unknown => ({ description, content: { 'text/html': { schema: HtmlPage } } })
const LIMITED = page('BCX_RATE_LIMITED: too many callbacks from this address (Retry-After says when to try again)')

/** What the merchant reads for each refusal; the log has the cause. */
const ADVICE: Record<string, string> = {
  BCX_BAD_REQUEST: 'This address is one of the app\'s BigCommerce callbacks and only works when ' +
    'BigCommerce opens it. Open the app from your store\'s control panel.',
  BCX_SIGNED_PAYLOAD_INVALID: 'BigCommerce\'s signed request did not verify, has expired, or was already used. ' +
    'Open the app again from your store\'s control panel.',
  BCX_STORE_NOT_ALLOWED: 'The app is not installed on this store. ' +
    'Install it from the Apps section of your store\'s control panel.',
  BCX_BIGCOMMERCE_REFUSED: 'BigCommerce refused the app\'s request. ' +
    'Install the app again from your store\'s control panel; if it keeps failing, ' +
    'the app\'s operator should check its client id, client secret and callback URLs.',
  BCX_BIGCOMMERCE_THROTTLED: 'BigCommerce asked the app to slow down. ' +
    'Wait a minute, then open or install the app again.',
  BCX_BIGCOMMERCE_TIMEOUT: 'BigCommerce did not answer in time. Wait a minute, then open or install the app again.',
  BCX_STORE_UNAVAILABLE: 'The app\'s storage did not answer. Wait a minute, then try again.',
  BCX_RATE_LIMITED: 'Too many requests to the app from this address. ' +
    'Wait a minute, then open the app again from your store\'s control panel.'
}

const TITLES: Record<number, string> = {
  400: 'Not a BigCommerce callback',
  401: 'Request not verified',
  403: 'App not installed',
  429: 'Too many requests',
  502: 'BigCommerce refused',
  503: 'Try again shortly',
  504: 'BigCommerce did not answer'
}

/** What the operator hears of a storefront origin that another store has a claim on too. */
const ORIGIN_ALSO_ALLOWED = 'storefront origin of an installed store is also in ALLOWED_ORIGINS: ' +
  'it now exchanges only the installed store\'s tokens'
const ORIGIN_SHARED = 'storefront origin claimed by more than one installed store: it exchanges the tokens of each'

const bigcommerceCallbacks: FastifyPluginAsyncTypebox<BigCommerceCallbackOptions> = async function (fastify, opts) {
  const { config } = opts
  const app: AppEndpoints = { publicUrl: config.app.publicUrl, clientId: config.clientId }
  // The app's shared client factory when registered (one rate-limit state per store, the quota metric).
  const shared = fastify.hasDecorator('bigcommerceApi')
    ? (fastify as unknown as SharedClients).bigcommerceApi
    : undefined
  const storeApi = opts.storeApi ?? shared?.client ??
    ((storeHash, accessToken) => createBigCommerceClient({ storeHash, accessToken, apiUrl: config.app.apiUrl }))
  const exchangeCode = opts.exchangeCode ?? exchangeAuthCode
  const jtiGuard = fastify.redis === null ? createMemoryJtiGuard() : createRedisJtiGuard(fastify.redis)
  const verifyPayload = createSignedPayloadVerifier({
    clientId: config.clientId,
    clientSecrets: config.clientSecrets,
    clockTolerance: config.clockTolerance,
    jtiGuard
  })
  const formTokens = createFormTokenCodec(config.sessionSecrets)
  const liveSessions = createLiveSessionCounter(fastify.redis)
  const nowSeconds = (): number => Math.floor(Date.now() / 1000)
  const { installs } = fastify
  if (installs === null || installs === undefined) {
    throw new Error('the app callbacks need the install registry (PUBLIC_URL)')
  }

  // Every callback, before any work: the install callback alone sends the client secret to BigCommerce
  // and waits up to its timeout for each call. Registered here, so it covers this scope only.
  if (fastify.hasDecorator('appCallbackLimit') && fastify.appCallbackLimit !== null) {
    fastify.addHook('onRequest', fastify.appCallbackLimit)
  }

  // Pages, not JSON: the merchant's browser shows whatever this scope answers.
  fastify.setErrorHandler(function (error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const err = toHttpError(error)
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500
    const code = err.code ?? 'FST_ERR_BAD_REQUEST'
    request.errorCode = code
    const cause = (err.cause as Error | undefined)?.message
    if (status >= 500 && !code.startsWith('BCX_')) {
      request.log.error({ err: error, code }, 'app callback failed')
    } else {
      request.log.warn({ code, status, reason: err.message, ...(cause !== undefined && { cause }) },
        'app callback refused')
    }
    const advice = ADVICE[code] ?? 'Something went wrong. Try again from your store\'s control panel.'
    const title = TITLES[status] ?? 'Something went wrong'
    return sendPage(reply, { status, title, code, body: html`<p>${advice}</p>` })
  })

  // The merchant page's form posts urlencoded fields; nothing else is parsed here.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    }
  )

  const logFailure = (request: FastifyRequest, storeHash: string) => ({ step, err }: StepFailure): void => {
    const e = err as FastifyError
    const cause = (e.cause as Error | undefined)?.message ?? e.message
    request.log.warn({ storeHash, step, code: e.code, cause }, 'app install step failed')
  }

  const staticStores = [...config.storeHashes ?? []].sort()

  /**
   * The store's origins that another store has a claim on too. Any merchant can list any domain in a
   * site's URLs, so the operator hears of each one (the stores named, never a token) and the merchant
   * page says so. Checked against this instance's allow-lists: no Redis command, whatever the number of stores.
   */
  function sharedOriginsOf (request: FastifyRequest, storeHash: string, origins: readonly string[]): SharedOrigin[] {
    const shared = fastify.allowLists.sharedOrigins(storeHash, origins)
    for (const { origin, installedStores, staticEntry } of shared) {
      const alsoAllowed = staticEntry && { allowedOriginsEntry: true, staticStores }
      request.log.warn({ storeHash, origin, otherStores: installedStores, ...alsoAllowed },
        staticEntry ? ORIGIN_ALSO_ALLOWED : ORIGIN_SHARED)
    }
    return shared
  }

  /** Repairs what is missing and keeps the result; the page shows it. */
  async function repair (
    request: FastifyRequest,
    install: StoreInstall
  ): Promise<{ install: StoreInstall, scriptEnabled: boolean | null, sharedOrigins: SharedOrigin[] }> {
    const api = storeApi(install.storeHash, install.accessToken)
    const setUp = await setUpStore(api, app, install, logFailure(request, install.storeHash))
    const { scriptEnabled, droppedOrigins, ...change } = setUp
    if (droppedOrigins.length > 0) {
      request.log.warn({
        storeHash: install.storeHash,
        kept: change.origins.length,
        dropped: droppedOrigins.length,
        firstDropped: droppedOrigins.slice(0, 5)
      }, `store lists more than ${MAX_STORE_ORIGINS} storefront origins: the rest are not served`)
    }
    // Most loads find everything in place: then no write, and no announcement for every instance to reload.
    const same = JSON.stringify([change.origins, change.scriptUuid, change.hookIds, change.problems]) ===
      JSON.stringify([install.origins, install.scriptUuid, install.hookIds, install.problems])
    const updated = same ? install : await installs.update(install.storeHash, change)
    const repaired = updated ?? { ...install, ...change }
    const sharedOrigins = sharedOriginsOf(request, repaired.storeHash, repaired.origins)
    return { install: repaired, scriptEnabled, sharedOrigins }
  }

  fastify.get('/bigcommerce/auth', {
    schema: {
      summary: 'App install callback: exchanges the code for the store\'s access token, then sets the store up',
      description: 'Opened by the control panel when a merchant installs (or re-installs) the app. Keeps the token ' +
        '(encrypted), reads the storefront origins from the store\'s sites, installs the storefront script ' +
        'through the Scripts API and registers the webhooks. ' +
        'A failed step is shown on the page and retried at the next load.',
      tags: ['app'],
      querystring: Type.Object({
        code: Type.String({ minLength: 1, maxLength: 1024 }),
        scope: Type.String({ maxLength: 4096, default: '' }),
        context: StoreContext,
        account_uuid: Type.Optional(Type.String({ maxLength: 128 }))
      }),
      response: {
        200: page('Installed: what was set up, and what needs attention'),
        400: page('BCX_BAD_REQUEST: missing code, or context not stores/{store_hash}'),
        429: LIMITED,
        502: page('BCX_BIGCOMMERCE_REFUSED: the token endpoint refused the code'),
        503: page('BCX_BIGCOMMERCE_THROTTLED, BCX_STORE_UNAVAILABLE'),
        504: page('BCX_BIGCOMMERCE_TIMEOUT')
      }
    }
  }, async (request, reply) => {
    const { code, scope, context } = request.query
    const authorized = await exchangeCode({
      loginUrl: config.app.loginUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecrets[0] as string,
      code,
      scope,
      context,
      redirectUri: `${config.app.publicUrl}/bigcommerce/auth`
    })
    const { storeHash } = authorized
    // A stored record that cannot be read (a key dropped from STORE_TOKEN_KEY, a damaged value) must not
    // stop the store from installing again: the new install replaces it.
    const previous = await installs.get(storeHash).catch((err: unknown) => {
      if (isRedisError(err)) throw err
      request.log.warn({ storeHash, cause: (err as Error).message }, 'previous install unreadable: replaced')
      return null
    })
    // The token is kept before anything else: a later step may fail and is retried at the next load.
    const install: StoreInstall = {
      storeHash,
      accessToken: authorized.accessToken,
      scope: authorized.scope,
      origins: previous?.origins ?? [],
      scriptUuid: previous?.scriptUuid ?? null,
      hookIds: previous?.hookIds ?? [],
      installedAt: Date.now(),
      user: authorized.user,
      problems: []
    }
    await installs.put(install)
    const repaired = await repair(request, install)
    request.log.info({
      storeHash,
      reinstall: previous !== null,
      problems: repaired.install.problems.length,
      origins: repaired.install.origins.length
    }, 'app installed')
    const headline = previous === null ? 'Installed.' : 'Installed again: the new access token replaces the old one.'
    return sendPage(reply, {
      status: 200,
      title: 'Sessions for BigCommerce: installed',
      body: merchantBody({ ...repaired, liveSessions: await liveSessions.countNow(storeHash), headline })
    })
  })

  fastify.get('/bigcommerce/load', {
    schema: {
      summary: 'App load callback: the merchant page (install state, origins, script, hooks, live sessions)',
      description: 'Opened inside the control panel. Repairs what is missing (a deleted script, changed origins, ' +
        'removed hooks) and offers a button that signs every shopper of the store out.',
      tags: ['app'],
      querystring: SignedPayloadQuery,
      response: {
        200: page('The merchant page'),
        400: page('BCX_BAD_REQUEST: no signed_payload_jwt'),
        429: LIMITED,
        401: page('BCX_SIGNED_PAYLOAD_INVALID'),
        403: page('BCX_STORE_NOT_ALLOWED: the app is not installed on this store'),
        503: page('BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request, reply) => {
    const installed: { install?: StoreInstall } = {}
    // Not installed: refused before the payload's jti is kept, so the refusal changes nothing.
    const payload = await verifyPayload(request.query.signed_payload_jwt, async (storeHash) => {
      const install = await installs.get(storeHash)
      if (install === null) throw new BCX_STORE_NOT_ALLOWED()
      installed.install = install
    })
    const repaired = await repair(request, installed.install as StoreInstall)
    const allSetUp = repaired.install.problems.length === 0 && repaired.sharedOrigins.length === 0
    return sendPage(reply, {
      status: 200,
      title: 'Sessions for BigCommerce',
      body: merchantBody({
        ...repaired,
        liveSessions: await liveSessions.count(payload.storeHash),
        formToken: formTokens.issue(payload.storeHash),
        headline: allSetUp ? 'Everything is set up.' : 'Installed, with problems (below).'
      })
    })
  })

  /** The merchant page's forms: a genuine, unexpired form token of a store where the app is installed. */
  async function installedStoreOf (
    formToken: string
  ): Promise<{ storeHash: string, nonce: string, expiresAt: number }> {
    const form = formTokens.verify(formToken)
    if (form === null) throw new BCX_SIGNED_PAYLOAD_INVALID('the form token is not genuine or has expired')
    if (await installs.get(form.storeHash) === null) throw new BCX_STORE_NOT_ALLOWED()
    return form
  }

  /** What a form of the merchant page may answer: its page, or a refusal page. */
  const formResponses = (done: string, badInput: string, usedUp = ''): Record<number, unknown> => ({
    200: page(done),
    400: page(`BCX_BAD_REQUEST: ${badInput}`),
    429: LIMITED,
    401: page(`BCX_SIGNED_PAYLOAD_INVALID: the form token is not genuine, has expired${usedUp}`),
    403: page('BCX_STORE_NOT_ALLOWED: the app is not installed on this store'),
    503: page('BCX_STORE_UNAVAILABLE')
  })

  fastify.post(REVOKE_PATH, {
    schema: {
      summary: 'The merchant page\'s "sign out every shopper": ends every session of the store',
      description: 'Posted by the load page\'s form, with the short-lived form token that page carries (no cookie: ' +
        'the control panel\'s iframe may block third-party cookies).',
      tags: ['app'],
      consumes: ['application/x-www-form-urlencoded'],
      body: Type.Object({ form_token: Type.String({ maxLength: 512 }) }),
      response: formResponses('How many sessions ended', 'no form token', ', or was used')
    }
  }, async (request, reply) => {
    const form = await installedStoreOf(request.body.form_token)
    const { storeHash } = form
    const ttlMs = Math.max(1000, (form.expiresAt - nowSeconds()) * 1000)
    if (!await jtiGuard.claim(storeHash, `form:${form.nonce}`, ttlMs)) {
      throw new BCX_SIGNED_PAYLOAD_INVALID('the form was already sent')
    }
    // Every live session ends, and tokens issued up to now are refused (as an admin's store revocation).
    const revoked = await fastify.sessionStore.revokeStoreSessions(storeHash, nowSeconds(), 'all')
    liveSessions.forget(storeHash)
    request.log.info({ storeHash, revoked }, 'merchant signed every shopper out')
    return sendPage(reply, {
      status: 200,
      title: 'Every shopper signed out',
      body: html`<p class="ok">Sessions ended: <strong data-revoked="${revoked}">${revoked}</strong>.</p>
<p>Shoppers sign in again on their next page view. Open the app again from the control panel to see the page.</p>`
    })
  })

  fastify.post(CUSTOMER_SESSIONS_PATH, {
    schema: {
      summary: 'The merchant page\'s support form: one customer\'s live sessions of this store',
      description: 'Posted by the load page\'s form with its form token (a read: the token is not used up).',
      tags: ['app'],
      consumes: ['application/x-www-form-urlencoded'],
      body: Type.Object({
        form_token: Type.String({ maxLength: 512 }),
        customer_id: Type.String({ pattern: '^[1-9][0-9]{0,14}$' })
      }),
      response: formResponses('The customer\'s sessions',
        'no form token, or a customer id that is not a positive integer')
    }
  }, async (request, reply) => {
    const { storeHash } = await installedStoreOf(request.body.form_token)
    const customerId = Number(request.body.customer_id)
    const sessions = await fastify.sessionStore.list(storeHash, customerId)
    return sendPage(reply, {
      status: 200,
      title: 'A customer\'s sessions',
      body: customerSessionsBody(storeHash, customerId, sessions.map(listedBody))
    })
  })

  fastify.get('/bigcommerce/uninstall', {
    schema: {
      summary: 'App uninstall callback: ends every session of the store and deletes its token, origins and settings',
      description: 'The store\'s tokens are refused afterwards (403 BCX_STORE_NOT_ALLOWED) unless it is in ' +
        'BC_STORE_HASHES. The hooks the app registered are deleted (best effort); ' +
        'BigCommerce removes the script (auto_uninstall).',
      tags: ['app'],
      querystring: SignedPayloadQuery,
      response: {
        200: page('Uninstalled'),
        400: page('BCX_BAD_REQUEST: no signed_payload_jwt'),
        429: LIMITED,
        401: page('BCX_SIGNED_PAYLOAD_INVALID'),
        503: page('BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request, reply) => {
    const { storeHash } = await verifyPayload(request.query.signed_payload_jwt)
    const install = await installs.get(storeHash)
    let hooksDeleted = 0
    if (install !== null) {
      // While the token still works; BigCommerce drops an uninstalled app's hooks too, so failure is fine.
      hooksDeleted = await deleteHooks(storeApi(storeHash, install.accessToken), install.hookIds)
      await installs.remove(storeHash)
    }
    // After the removal, so that no new exchange slips in between: every instance stops serving the store
    // within a second, and the cutoff one second ahead refuses tokens issued meanwhile.
    const revoked = await fastify.sessionStore.revokeStoreSessions(storeHash, nowSeconds() + 1, 'all')
    liveSessions.forget(storeHash)
    request.log.info({ storeHash, wasInstalled: install !== null, revoked, hooksDeleted }, 'app uninstalled')
    const ended = html`<strong data-revoked="${revoked}">${revoked}</strong>`
    return sendPage(reply, {
      status: 200,
      title: 'Sessions for BigCommerce: uninstalled',
      body: html`<p class="ok">The app is uninstalled from this store.</p>
<p>Sessions ended: ${ended}. The store's access token and settings are deleted.</p>`
    })
  })

  fastify.get('/bigcommerce/remove-user', {
    schema: {
      summary: 'App remove-user callback: a store user lost access to the app (nothing is kept per user)',
      tags: ['app'],
      querystring: SignedPayloadQuery,
      response: {
        200: page('Acknowledged'),
        400: page('BCX_BAD_REQUEST: no signed_payload_jwt'),
        429: LIMITED,
        401: page('BCX_SIGNED_PAYLOAD_INVALID'),
        503: page('BCX_STORE_UNAVAILABLE')
      }
    }
  }, async (request, reply) => {
    const { storeHash, user } = await verifyPayload(request.query.signed_payload_jwt)
    request.log.info({ storeHash, userId: user?.id ?? null }, 'app user removed')
    return sendPage(reply, {
      status: 200,
      title: 'User removed',
      body: html`<p>Nothing is kept per store user: nothing to delete.</p>`
    })
  })
}

export default bigcommerceCallbacks
