// The stand-in storefront's page: what the store believes, what the service answers, every call the
// storefront script makes (in order, with its status), and the controls. A newcomer watches the flow here.

export interface Shopper { id: number, name: string, email: string, groupId: string | null }

export const DEMO_SHOPPERS: readonly Shopper[] = [
  { id: 4927, name: 'John Doe', email: 'john.doe@gmail.com', groupId: '6' },
  { id: 5001, name: 'Jane Roe', email: 'jane.roe@example.com', groupId: null },
  { id: 6042, name: 'Sam Lee', email: 'sam.lee@example.com', groupId: '2' }
]

export interface PageOptions {
  serviceUrl: string
  clientId: string
  storeHash: string
  shopper: Shopper | null
  hint: boolean
  /** Load the versioned URL (?v=<version>), and pin it with SRI when `integrity` is given. */
  script: { version?: string, integrity?: string } | undefined
}

export const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

// One string per line of the style sheet.
const STYLE = [
  'body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#1d1d1f}',
  'h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.1rem;margin:.6rem 0}',
  'code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}' +
    'pre{padding:.6rem;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.8rem}',
  'section{border:1px solid #ddd;border-radius:6px;padding:.2rem 1rem .6rem;margin:1rem 0}span{overflow-wrap:anywhere}',
  'form{display:inline-block;margin-right:1rem}',
  'table{border-collapse:collapse;width:100%;font-size:.9rem}' +
    'th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee}',
  'td.status{font-weight:600}' +
    'tr[data-status^="2"] td.status{color:#137333}tr[data-status^="4"] td.status{color:#a35200}',
  'tr[data-status^="5"] td.status,tr[data-status="failed"] td.status{color:#b3261e}',
  'tr[data-status=""] td.status{color:#888}td.to{color:#555}'
].join('\n')

// Runs before /storefront.js: the script calls the global fetch at call time, so wrapping it here records
// each call without any hook in the script. The stand-in page is ours; a real storefront has no such wrapper.
const RECORDER = `(function () {
  var rows = document.querySelector('#calls tbody')
  // What a call is, and what its answer means; said once the answer is in.
  var what = function (method, path, status) {
    switch (method + ' ' + path) {
      case 'GET /customer/current.jwt':
        return status === '404'
          ? 'a guest: the store has no token to give'
          : "the shopper's Current Customer JWT, from the store"
      case 'POST /session': return 'exchange the token, once, for a session cookie'
      case 'GET /session':
        return status === '401'
          ? "who this browser's session belongs to: no session (yet)"
          : "who this browser's session belongs to"
      case 'GET /api/me':
        return status === '401' ? 'a session-protected route: refused, no session' : 'a session-protected route'
      case 'DELETE /session': return 'end the session in the service'
      case 'GET /session/list': return 'where this customer is signed in'
      case 'DELETE /session/list': return 'end every session of this customer (sign out everywhere)'
      default:
        return method === 'DELETE' && path.indexOf('/session/list/') === 0
          ? 'end one session of this customer, by its handle'
          : ''
    }
  }
  var cell = function (row, className, text) {
    var td = row.insertCell()
    td.className = className
    td.textContent = text
    return td
  }
  var realFetch = window.fetch
  window.fetch = function (input, init) {
    var request = typeof input === 'object' && input !== null && 'url' in input ? input : null
    var url = new URL(request ? request.url : String(input), document.baseURI)
    var method = String((init && init.method) || (request && request.method) || 'GET').toUpperCase()
    var row = rows.insertRow()
    row.dataset.method = method
    row.dataset.path = url.pathname
    row.dataset.to = url.origin === location.origin ? 'store' : 'service'
    row.dataset.status = ''
    cell(row, 'n', String(rows.rows.length))
    cell(row, 'method', method)
    cell(row, 'path', url.pathname)
    cell(row, 'to', row.dataset.to).title = url.origin
    var status = cell(row, 'status', '…')
    var note = cell(row, 'what', what(method, url.pathname, ''))
    var settle = function (text) {
      row.dataset.status = text
      status.textContent = text
      note.textContent = what(method, url.pathname, text)
    }
    return realFetch.apply(window, arguments).then(
      function (res) { settle(String(res.status)); return res },
      function (err) { settle('failed'); throw err }
    )
  }
})()`

// The page's own use of the script: the two panels, the buttons, and window.standIn for the browser tests.
const PANELS = `(async function () {
  var out = window.standIn = { done: false }
  var show = function (id, text) { document.getElementById(id).textContent = text }
  var failed = function (id, err) {
    out.error = { code: err.code, message: err.message }
    show(id, 'error ' + err.code + ': ' + err.message)
  }
  var readSession = async function () {
    var customer = out.customer = await window.BcSession.ready()
    show('service-session', customer === null
      ? 'null: no session (a guest, or after logout())'
      : customer.email + ' (customer ' + customer.id + ', store ' + customer.store_hash + ')')
  }
  var callMe = async function () {
    var res = await window.BcSession.fetch('/api/me')
    out.me = { status: res.status, body: await res.json() }
    show('api-me', res.status + ' ' + JSON.stringify(out.me.body))
  }
  var when = function (iso) { return iso === null ? '—' : new Date(iso).toLocaleString() }
  var listSessions = async function () {
    var list = out.sessions = await window.BcSession.sessions()
    var body = document.querySelector('#sessions tbody')
    body.textContent = ''
    list.forEach(function (s) {
      var row = body.insertRow()
      row.dataset.handle = s.handle
      row.dataset.current = String(s.current)
      var where = (s.browser || 'unknown browser') + ' on ' + (s.os || 'unknown OS') +
        (s.current ? ' (this browser)' : '')
      ;[where, s.origin || '—', when(s.created_at), when(s.last_seen_at)].forEach(function (text) {
        row.insertCell().textContent = text
      })
      var button = document.createElement('button')
      button.type = 'button'
      button.className = 'end-session'
      button.textContent = 'End'
      button.onclick = function () { run(async function () {
        var res = await window.BcSession.fetch('/session/list/' + encodeURIComponent(s.handle), { method: 'DELETE' })
        out.ended = res.status
        await refresh()
        await showSessions()
      }) }
      row.insertCell().appendChild(button)
    })
    show('sessions-note', list.length === 0 ? 'none' : list.length + ' live session(s)')
  }
  // On request only: a page load makes the calls of the flow above and no more.
  var showSessions = async function () {
    try { await listSessions() } catch (err) { failed('sessions-note', err) }
  }
  var refresh = async function () {
    try { await readSession() } catch (err) { failed('service-session', err); return }
    try { await callMe() } catch (err) { failed('api-me', err) }
  }
  var run = async function (work) {
    out.done = false
    try { await work() } finally { out.done = true }
  }
  var action = function (id, run) {
    document.getElementById(id).onclick = async function () {
      out.done = false
      try { await run() } finally { out.done = true }
    }
  }
  action('call-api-me', async function () {
    try { await callMe() } catch (err) { failed('api-me', err) }
  })
  action('service-logout', async function () {
    try { await window.BcSession.logout() } catch (err) { failed('service-session', err); return }
    await refresh()
  })
  action('list-sessions', showSessions)
  action('logout-everywhere', async function () {
    try { await window.BcSession.logout({ everywhere: true }) } catch (err) { failed('sessions-note', err); return }
    await refresh()
    await showSessions()
  })
  await refresh()
  out.done = true
})()`

const SERVICE_SECTION = [
  '<section><h2>The session service says</h2>',
  '<p><code>BcSession.ready()</code>: <span id="service-session">…</span></p>',
  '<p><code>BcSession.fetch(\'/api/me\')</code>: <span id="api-me">…</span></p>',
  '<p><button id="call-api-me" type="button">Call /api/me again</button>',
  '<button id="service-logout" type="button">BcSession.logout()</button> ' +
    'ends the service session only (not the store login).</p>',
  '</section>'
].join('\n')

const SESSIONS_SECTION = [
  '<section><h2>Your sessions</h2>',
  '<p><button id="list-sessions" type="button">Show your sessions</button> <code>BcSession.sessions()</code>: ' +
    '<span id="sessions-note">not asked yet</span></p>',
  '<table id="sessions"><thead><tr><th>browser</th><th>origin</th><th>signed in</th><th>last seen</th><th></th></tr>' +
    '</thead><tbody></tbody></table>',
  '<p><button id="logout-everywhere" type="button">Sign out everywhere</button> ' +
    '<code>BcSession.logout({ everywhere: true })</code>',
  'ends every session of this customer, in every browser (not the store login: a browser still signed in to the store',
  'gets a new session on its next page).</p>',
  '</section>'
].join('\n')

const CALLS_SECTION = [
  '<section><h2>Calls the storefront script made on this page load</h2>',
  '<table id="calls"><thead><tr><th>#</th><th>method</th><th>path</th><th>to</th><th>status</th><th>what it is</th>' +
    '</tr></thead><tbody></tbody></table>',
  '</section>'
].join('\n')

const HINT_MODE = 'with <code>data-customer-id</code> (one <code>GET /session</code> per page). ' +
  '<a id="mode" href="/">Switch to no hint</a>'
const NO_HINT_MODE = 'without a hint (a token fetch and a <code>GET /session</code> per page). ' +
  '<a id="mode" href="/?hint=1">Switch to <code>data-customer-id</code></a>'

export function page (o: PageOptions): string {
  const attributes: Array<[string, string]> = [
    ['src', `${o.serviceUrl}/storefront.js${o.script?.version !== undefined ? `?v=${o.script.version}` : ''}`],
    ...(o.script?.integrity !== undefined
      ? [['integrity', o.script.integrity], ['crossorigin', 'anonymous']] as Array<[string, string]>
      : []),
    ['data-client-id', o.clientId],
    ...(o.hint ? [['data-customer-id', o.shopper === null ? '' : String(o.shopper.id)]] as Array<[string, string]> : [])
  ]
  const tag = `<script ${attributes.map(([name, value]) => `${name}="${escape(value)}"`).join(' ')}></script>`
  const mode = o.hint ? '?hint=1' : ''
  const options = DEMO_SHOPPERS.map((s) => `<option value="${s.id}">${escape(s.name)} (${s.id})</option>`).join('')
  const who = o.shopper === null
    ? 'a guest'
    : `${escape(o.shopper.name)} &lt;${escape(o.shopper.email)}&gt; (customer ${o.shopper.id})`
  const signIn = `<form id="sign-in" method="post" action="/login${mode}">` +
    `Sign in as <select name="customer_id">${options}</select> <button>Sign in</button></form>`
  const signOut = `<form id="sign-out" method="post" action="/logout${mode}">` +
    `<button ${o.shopper === null ? 'disabled' : ''}>Sign out of the store</button></form>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stand-in storefront · ${escape(o.storeHash)}</title>
<style>${STYLE}</style></head>
<body>
<h1>Stand-in storefront <small>(store ${escape(o.storeHash)})</small></h1>
<section><h2>The store says</h2>
<p id="storefront-shopper">Signed in as ${who}.</p>
${signIn}
${signOut}
</section>
${SERVICE_SECTION}
${SESSIONS_SECTION}
${CALLS_SECTION}
<p>Mode: ${o.hint ? HINT_MODE : NO_HINT_MODE}</p>
<p>The script tag, as Script Manager inserts it:</p>
<pre>${escape(tag)}</pre>
<script>
${RECORDER}
</script>
${tag}
<script>
${PANELS}
</script>
</body></html>
`
}
