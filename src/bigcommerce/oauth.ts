// The install callback's token exchange: BigCommerce's OAuth token endpoint turns the one-time code into
// the store's access token. Only the access token is secret; it is returned, never logged.
// @see https://developer.bigcommerce.com/docs/integrations/apps/guide/auth
import { BIGCOMMERCE_TIMEOUT_MS } from './client.js'
import { refused, unreachable } from './failures.js'
import { isRecord } from '../lib/is-record.js'
import { storeHashOfContext } from '../lib/store-hash.js'

export interface AuthCodeExchange {
  /** https://login.bigcommerce.com, or a stand-in. */
  loginUrl: string
  clientId: string
  clientSecret: string
  code: string
  scope: string
  /** stores/{store_hash}, as the install callback received it. */
  context: string
  /** The install callback's own URL, as registered for the app. */
  redirectUri: string
  timeoutMs?: number
}

export interface AuthorizedStore {
  storeHash: string
  accessToken: string
  scope: string
  /** The installing user. */
  user: { id: number, email: string }
}

function authorized (body: unknown, context: string): AuthorizedStore {
  const user = isRecord(body) ? body.user : undefined
  if (!isRecord(body) || typeof body.access_token !== 'string' || body.access_token === '' ||
    typeof body.scope !== 'string' ||
    !isRecord(user) || typeof user.id !== 'number' || typeof user.email !== 'string') {
    throw refused('the token endpoint answered without access_token, scope or user')
  }
  // The token must be the store's the callback was opened for, never another one's.
  if (body.context !== context) throw refused(`the token endpoint answered for ${String(body.context)}, not ${context}`)
  return {
    storeHash: context.slice('stores/'.length),
    accessToken: body.access_token,
    scope: body.scope,
    user: { id: user.id, email: user.email }
  }
}

export async function exchangeAuthCode (o: AuthCodeExchange): Promise<AuthorizedStore> {
  if (storeHashOfContext(o.context) === null) throw refused(`context is not stores/{store_hash}: ${o.context}`)
  const form = new URLSearchParams({
    client_id: o.clientId,
    client_secret: o.clientSecret,
    code: o.code,
    scope: o.scope,
    grant_type: 'authorization_code',
    redirect_uri: o.redirectUri,
    context: o.context
  })
  let res: Response
  let body: unknown
  try {
    res = await fetch(`${o.loginUrl.replace(/\/+$/, '')}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form,
      // The client secret goes to the configured login host and nowhere else.
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs ?? BIGCOMMERCE_TIMEOUT_MS)
    })
    body = await res.json().catch((err: unknown) => { if (err instanceof SyntaxError) return undefined; throw err })
  } catch (err) {
    throw unreachable(err)
  }
  if (!res.ok) {
    const error = isRecord(body) && typeof body.error === 'string' ? `: ${body.error.slice(0, 200)}` : ''
    throw refused(`the token endpoint answered ${res.status}${error}`, res.status)
  }
  return authorized(body, o.context)
}
