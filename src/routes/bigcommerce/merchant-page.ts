// The merchant page: what the app set up in the store, how many shoppers are signed in, and the button
// that signs them all out. Rendered by the install and load callbacks.
import { html, Html } from './page.js'
import { HOOK_SCOPES } from '../../app-mode/install-steps.js'
import type { SharedOrigin, StoreInstall } from '../../app-mode/types.js'
import type { ListedBody } from '../session-list.js'

export const REVOKE_PATH = '/bigcommerce/sessions/revoke'
/** The page's support form: one customer's sessions, as GET /admin/sessions lists them. */
export const CUSTOMER_SESSIONS_PATH = '/bigcommerce/sessions/customer'

export interface MerchantView {
  install: StoreInstall
  /** From the store now; null when it could not be asked. */
  scriptEnabled: boolean | null
  /** null: not counted (the in-process store). */
  liveSessions: number | null
  /** Present on the load page: the form to sign every shopper out. */
  formToken?: string
  /** A line above the state, e.g. "Installed." */
  headline: string
  /** This store's origins that another store has a claim on too (the other store is not named here). */
  sharedOrigins?: readonly SharedOrigin[]
}

// Fixed markup with no values in it (so nothing to escape), held apart to keep the templates below short.
const SHARED_ADVICE = new Html('<p>If this store does not own these domains, remove them from its sites\' URLs ' +
  '(Channel Manager). The app\'s operator is told of each one.</p>')
const SCRIPT_DISABLED = new Html('installed but <span class="problem">disabled</span> in Script Manager: ' +
  'shoppers are not signed in until it is enabled')
const SCRIPT_INSTALLED = new Html('<span class="ok">installed</span> in the storefront footer ' +
  '(Script Manager, category essential)')
const RETRY_ADVICE = new Html('<p>These steps are tried again each time you open the app. If they keep failing, ' +
  'reinstall the app to grant the scopes it asks for.</p>')
const SESSION_TABLE_HEAD = new Html('<tr><th>Signed in</th><th>Last seen</th><th>Ends if unused</th>' +
  '<th>Origin</th><th>Browser</th><th>System</th></tr>')

function sharedNotes (shared: readonly SharedOrigin[]): Html {
  if (shared.length === 0) return html``
  const items = shared.map(({ origin, installedStores, staticEntry }) => {
    const others = installedStores.length === 1 ? 'another store' : `${installedStores.length} other stores`
    const note = installedStores.length > 0
      ? html`is also a storefront origin of ${others} using this app: shoppers' tokens of each are accepted there.`
      : html`is also on the service's own list of allowed origins: from now on it accepts this store's shoppers only.`
    return html`<li data-shared-origin="${origin}"><code>${origin}</code> ${note}</li>`
  })
  return html`<h2>Origins shared with other stores</h2><ul class="problem">${items}</ul>
${SHARED_ADVICE}`
}

function scriptState ({ install, scriptEnabled }: MerchantView): Html {
  if (install.scriptUuid === null) return html`<span class="problem">not installed</span>`
  if (scriptEnabled === false) return SCRIPT_DISABLED
  return html`${SCRIPT_INSTALLED} <small>(${install.scriptUuid})</small>`
}

export function merchantBody (view: MerchantView): Html {
  const { install, liveSessions, formToken, headline } = view
  const origins = install.origins.length === 0
    ? html`<p class="problem">No storefront origin is known yet: no shopper can sign in.</p>`
    : html`<ul>${install.origins.map((o) => html`<li><code>${o}</code></li>`)}</ul>`
  const hooks = install.hookIds.length === HOOK_SCOPES.length
    ? html`<span class="ok">registered</span> (${HOOK_SCOPES.join(', ')})`
    : html`<span class="problem">${install.hookIds.length} of ${HOOK_SCOPES.length} registered</span>`
  const problems = install.problems.length === 0
    ? html``
    : html`<h2>Needs attention</h2><ul class="problem">${install.problems.map((p) => html`<li>${p}</li>`)}</ul>
${RETRY_ADVICE}`
  const sessions = liveSessions === null
    ? 'not counted (this service keeps sessions in its own process)'
    : String(liveSessions)
  const form = formToken === undefined
    ? html``
    : html`<form method="post" action="${REVOKE_PATH}">
<input type="hidden" name="form_token" value="${formToken}">
<button type="submit">Sign out every shopper</button>
</form>
<p><small>Ends every session of this store at once; shoppers sign in again on their next page view.</small></p>
<h2>A customer's sessions (support)</h2>
<form method="post" action="${CUSTOMER_SESSIONS_PATH}">
<input type="hidden" name="form_token" value="${formToken}">
<label>Customer id <input name="customer_id" inputmode="numeric" pattern="[0-9]{1,15}" required></label>
<button type="submit">Show their sessions</button>
</form>`
  const installedAt = new Date(install.installedAt).toISOString()
  const installedBy = install.user === undefined ? '' : html` by ${install.user.email}`
  return html`<p class="ok">${headline}</p>
<h2>Store</h2><p><code>${install.storeHash}</code>, installed ${installedAt}${installedBy}</p>
<h2>Storefront origins served</h2>${origins}
<h2>Storefront script</h2><p>${scriptState(view)}</p>
<h2>Webhooks</h2><p>${hooks}</p>
${problems}
${sharedNotes(view.sharedOrigins ?? [])}
<h2>Signed-in shoppers</h2><p>Live sessions: <strong data-live-sessions="${liveSessions ?? ''}">${sessions}</strong></p>
${form}`
}

const when = (iso: string | null): string => iso === null ? 'unknown' : iso.replace('.000Z', 'Z')

/** One customer's sessions as GET /admin/sessions lists them, for the support form. */
function sessionRow (r: ListedBody): Html {
  const times = [r.created_at, r.last_seen_at, r.expires_at].map((iso) => html`<td>${when(iso)}</td>`)
  const origin = html`<td><code>${r.origin ?? 'unknown'}</code></td>`
  return html`<tr data-session>${times}${origin}<td>${r.browser ?? 'unknown'}</td><td>${r.os ?? 'unknown'}</td></tr>`
}

export function customerSessionsBody (storeHash: string, customerId: number, rows: readonly ListedBody[]): Html {
  const list = rows.length === 0
    ? html`<p>No live session.</p>`
    : html`<table>${SESSION_TABLE_HEAD}${rows.map((r) => sessionRow(r))}</table>`
  const customer = html`Customer <strong>${String(customerId)}</strong> of store <code>${storeHash}</code>`
  const count = html`<strong data-sessions="${rows.length}">${rows.length}</strong>`
  const query = html`<code>GET /admin/sessions?store_hash=${storeHash}&amp;customer_id=${String(customerId)}</code>`
  const support = html`Support tools get the same list as JSON from ${query} with the service's admin token.`
  return html`<p>${customer}: ${count} live session(s).</p>
${list}
<p><small>${support} Open the app again from the control panel to go back.</small></p>`
}
