// What an install sets up in the store with its access token, and what a load repairs: the storefront
// origins from its sites, the storefront script through the Scripts API, and the webhooks the service
// acts on. Each step fails on its own: its problem is kept and shown, and the next load retries it.
// @see https://developer.bigcommerce.com/docs/rest-management/sites
// @see https://developer.bigcommerce.com/docs/rest-content/scripts
// @see https://developer.bigcommerce.com/docs/integrations/webhooks
import { parseOriginPattern } from '../lib/origin.js'
import type { StoreInstall } from './types.js'
import { isRecord } from '../lib/is-record.js'

/** The store API calls the steps make, with the store's own token (src/bigcommerce/). */
export interface StoreApi {
  get (path: string, query?: Record<string, string | number>): Promise<unknown>
  post (path: string, body: unknown): Promise<unknown>
  put (path: string, body: unknown): Promise<unknown>
  delete (path: string): Promise<unknown>
}

/** The scopes whose deliveries end sessions (src/routes/webhooks.ts). */
export const HOOK_SCOPES = ['store/customer/deleted', 'store/customer/updated', 'store/app/uninstalled'] as const
const SITE_URL_TYPES = new Set(['primary', 'canonical', 'checkout'])
export const SCRIPT_NAME = 'bc-session-exchanger'
const PAGE_LIMIT = 250
const MAX_PAGES = 20
/**
 * Origins kept per store. A store's origins are whatever URLs its sites list, and each one it keeps is
 * bound to it: no real store has this many storefronts, and a store listing thousands would claim them all.
 */
export const MAX_STORE_ORIGINS = 50

export interface AppEndpoints {
  /** The service's public base URL, no trailing slash. */
  publicUrl: string
  clientId: string
}

export type SetUp = Pick<StoreInstall, 'origins' | 'scriptUuid' | 'hookIds' | 'problems'> & {
  /** What the store says of the script now; null when it could not be read. */
  scriptEnabled: boolean | null
  /** Origins the sites list beyond MAX_STORE_ORIGINS: not kept, not served (for the log). */
  droppedOrigins: string[]
}

export const webhookDestination = ({ publicUrl }: AppEndpoints): string => `${publicUrl}/webhooks/bigcommerce`

/**
 * The bare script URL, without `?v=` and `integrity`: a deploy that changes the script then reaches every
 * store within minutes. A pinned URL would need every store's script updated at each deploy, and until
 * then browsers would refuse the new bytes and shoppers would have no sessions.
 */
export function scriptHtml ({ publicUrl, clientId }: AppEndpoints): string {
  const src = escapeAttribute(`${publicUrl}/storefront.js`)
  const id = escapeAttribute(clientId)
  return `<script src="${src}" data-client-id="${id}" data-customer-id="{{customer.id}}"></script>`
}

const escapeAttribute = (value: string): string => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function scriptBody (app: AppEndpoints): Record<string, unknown> {
  return {
    name: SCRIPT_NAME,
    description: 'Signs shoppers in to the app\'s backend once per visit (bc-session-exchanger). Removed with the app.',
    html: scriptHtml(app),
    kind: 'script_tag',
    location: 'footer',
    visibility: 'storefront',
    consent_category: 'essential',
    auto_uninstall: true,
    load_method: 'default',
    enabled: true
  }
}

type Entity = Record<string, unknown>

/** `data` of a v3 answer, as a list of records (anything else is an answer we cannot read). */
function dataList (answer: unknown): Entity[] {
  const data = isRecord(answer) ? answer.data : undefined
  if (!Array.isArray(data)) throw new Error('unexpected answer: no data list')
  return data.filter(isRecord)
}

function dataRecord (answer: unknown): Entity {
  const data = isRecord(answer) ? answer.data : undefined
  if (!isRecord(data)) throw new Error('unexpected answer: no data')
  return data
}

/** Every page of a v3 list. */
async function listAll (api: StoreApi, path: string): Promise<Entity[]> {
  const all: Entity[] = []
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = await api.get(path, { page, limit: PAGE_LIMIT })
    const items = dataList(answer)
    all.push(...items)
    const pagination = isRecord(answer) && isRecord(answer.meta) && isRecord(answer.meta.pagination)
      ? answer.meta.pagination
      : undefined
    const totalPages = typeof pagination?.total_pages === 'number' ? pagination.total_pages : 1
    if (page >= totalPages || items.length === 0) break
  }
  return all
}

/** scheme://host[:port] of a site URL, lower-case host, no default port; null for what no browser sends as an Origin. */
export function siteOrigin (url: string): string | null {
  let origin: string
  try {
    origin = new URL(url).origin
  } catch {
    return null
  }
  const p = parseOriginPattern(origin)
  return p === null || p.wildcard ? null : `${p.scheme}://${p.host}${p.port === '' ? '' : `:${p.port}`}`
}

/** The storefront origins of every site of the store: its primary, canonical and checkout URLs. */
export async function readOrigins (api: StoreApi): Promise<string[]> {
  const origins = new Set<string>()
  for (const site of await listAll(api, '/v3/sites')) {
    const urls = Array.isArray(site.urls) ? site.urls.filter(isRecord) : []
    for (const { type, url } of urls) {
      if (typeof type !== 'string' || !SITE_URL_TYPES.has(type) || typeof url !== 'string') continue
      const origin = siteOrigin(url)
      if (origin !== null) origins.add(origin)
    }
  }
  return [...origins].sort()
}

/**
 * The app's script in the store: the one kept, else one of ours found by name (created by an earlier
 * attempt whose answer was lost), else a new one. A script whose html is stale is brought up to date.
 */
export async function ensureScript (
  api: StoreApi,
  app: AppEndpoints,
  scriptUuid: string | null
): Promise<{ uuid: string, enabled: boolean }> {
  const wanted = scriptBody(app)
  const scripts = await listAll(api, '/v3/content/scripts')
  const found = scripts.find((s) => scriptUuid !== null && s.uuid === scriptUuid) ??
    scripts.find((s) => s.name === SCRIPT_NAME)
  if (found !== undefined && typeof found.uuid === 'string') {
    // A new PUBLIC_URL or client id changes the snippet. Whether it is enabled stays the merchant's choice.
    if (found.html !== wanted.html) {
      await api.put(`/v3/content/scripts/${encodeURIComponent(found.uuid)}`, { html: wanted.html })
    }
    return { uuid: found.uuid, enabled: found.enabled !== false }
  }
  const created = dataRecord(await api.post('/v3/content/scripts', wanted))
  if (typeof created.uuid !== 'string') throw new Error('unexpected answer: no script uuid')
  return { uuid: created.uuid, enabled: true }
}

/** The three hooks, reusing any already registered for the same scope and destination. */
export async function ensureHooks (api: StoreApi, app: AppEndpoints): Promise<number[]> {
  const destination = webhookDestination(app)
  const hooks = await listAll(api, '/v3/hooks')
  const ids: number[] = []
  for (const scope of HOOK_SCOPES) {
    const existing = hooks.find((h) => h.scope === scope && h.destination === destination)
    if (existing !== undefined && typeof existing.id === 'number') {
      if (existing.is_active !== true) await api.put(`/v3/hooks/${existing.id}`, { is_active: true })
      ids.push(existing.id)
      continue
    }
    const hook = { scope, destination, is_active: true, events_history_enabled: true }
    const created = dataRecord(await api.post('/v3/hooks', hook))
    if (typeof created.id !== 'number') throw new Error('unexpected answer: no hook id')
    ids.push(created.id)
  }
  return ids
}

/** Best effort, at uninstall: the hooks this app registered. */
export async function deleteHooks (api: StoreApi, hookIds: readonly number[]): Promise<number> {
  let deleted = 0
  for (const id of hookIds) {
    try {
      await api.delete(`/v3/hooks/${id}`)
      deleted++
    } catch {
      // Gone already, or the token no longer works: BigCommerce drops an uninstalled app's hooks anyway.
    }
  }
  return deleted
}

function tooManyOrigins (listed: number, dropped: readonly string[]): string {
  const shown = dropped.slice(0, 5).join(', ')
  const more = dropped.length > 5 ? ` and ${dropped.length - 5} more` : ''
  return `The store's sites list ${listed} storefront origins; ` +
    `only the first ${MAX_STORE_ORIGINS} (in alphabetical order) are served. ` +
    `Left out: ${shown}${more}. Remove the URLs of sites you no longer use.`
}

export interface StepFailure { step: 'origins' | 'script' | 'hooks', err: unknown }

/**
 * Runs the three steps from what the store had; each failed step keeps the previous value and leaves a
 * problem for the merchant page. `onFailure` gets the cause, for the log.
 */
export async function setUpStore (
  api: StoreApi,
  app: AppEndpoints,
  current: Pick<StoreInstall, 'origins' | 'scriptUuid' | 'hookIds'>,
  onFailure: (failure: StepFailure) => void = () => {}
): Promise<SetUp> {
  const problems: string[] = []
  const result: SetUp = {
    origins: current.origins,
    scriptUuid: current.scriptUuid,
    hookIds: current.hookIds,
    problems,
    scriptEnabled: null,
    droppedOrigins: []
  }
  try {
    const origins = await readOrigins(api)
    result.origins = origins.slice(0, MAX_STORE_ORIGINS)
    result.droppedOrigins = origins.slice(MAX_STORE_ORIGINS)
    if (result.droppedOrigins.length > 0) problems.push(tooManyOrigins(origins.length, result.droppedOrigins))
  } catch (err) {
    onFailure({ step: 'origins', err })
    problems.push('The storefront origins could not be read from the store\'s sites (Sites & Routes read access).')
  }
  try {
    const script = await ensureScript(api, app, current.scriptUuid)
    result.scriptUuid = script.uuid
    result.scriptEnabled = script.enabled
  } catch (err) {
    onFailure({ step: 'script', err })
    problems.push('The storefront script could not be installed through the Scripts API (Content modify access).')
  }
  try {
    result.hookIds = await ensureHooks(api, app)
  } catch (err) {
    onFailure({ step: 'hooks', err })
    problems.push('The webhooks (customer deleted or updated, store cancelled) could not be registered.')
  }
  return result
}
