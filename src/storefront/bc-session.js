/*
 * bc-session-exchanger storefront script, served at /storefront.js.
 *
 * Load it from Script Manager:
 *   <script src="https://<service>/storefront.js" data-client-id="<app client id>"
 *           data-customer-id="{{customer.id}}"></script>
 * (data-customer-id is optional: where the theme can render it, it saves a token fetch per page.)
 *
 * window.BcSession.ready()        -> the signed-in customer {id, email, group_id, store_hash}, or null
 * window.BcSession.fetch(path, i) -> window.fetch against the service, with the session
 * window.BcSession.logout()       -> ends the service session (DELETE /session)
 * window.BcSession.logout({ everywhere: true }) -> ends every session of this customer, in every browser
 * window.BcSession.sessions()     -> where this customer is signed in: [{handle, created_at, last_seen_at,
 *                                    expires_at, origin, browser, os, current}], [] for a guest
 *
 * Failures reject with an Error carrying a `code`: the service's (BCX_...), or one of
 * config_error, network_error, timeout, token_unavailable, unexpected_response, bad_path,
 * cookies_blocked. The script never logs to the console.
 */
/* global window, document, fetch, Headers, URL, atob, setTimeout, AbortSignal, CustomEvent */
;(function () {
  'use strict'
  if (window.BcSession) return

  const TOKEN_PATH = '/customer/current.jwt'
  // The service compares a revocation cutoff with iat in whole seconds: a retry needs a token of a later second.
  const RETRY_DELAY_MS = 1100
  const TIMEOUT_MS = 10000

  const script = document.currentScript || document.querySelector('script[src*="/storefront.js"]')
  const service = script ? new URL(script.src, document.baseURI).origin : null
  const clientId = script ? script.getAttribute('data-client-id') : null
  // undefined: no hint; '': the theme says guest; else the customer id the theme rendered.
  const hint = script && script.hasAttribute('data-customer-id')
    ? script.getAttribute('data-customer-id').trim()
    : undefined

  let current = null // the promise ready() answers with, for this page load
  let renewing = null // a re-exchange in flight, shared by concurrent fetch() calls
  let blocked = null // the cookies_blocked error once seen: later calls fail at once, never loop
  let loggedOut = false
  // The store said 404 (a guest) on this page: a signing-in shopper loads a new page, so no second token fetch.
  let guest = false

  function failure (code, message, status) {
    const err = new Error(message)
    err.name = 'BcSessionError'
    err.code = code
    if (status !== undefined) err.status = status
    return err
  }

  function serviceFailure (res) {
    const body = res.body || {}
    if (typeof body.code === 'string') {
      return failure(body.code, body.message || 'The service refused the request', res.status)
    }
    return failure('unexpected_response', 'The service answered ' + res.status, res.status)
  }

  function sleep (ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms) })
  }

  function timeoutSignal () {
    return typeof AbortSignal !== 'undefined' && AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : undefined
  }

  function networkFailure (err, what) {
    if (err && err.name === 'TimeoutError') return failure('timeout', what + ' did not answer in time')
    return failure('network_error', what + ' could not be reached (network error, or the service refused this origin)')
  }

  /** One call to the service's /session (or a path beneath it) with the cookie; answers {status, body}. */
  async function call (method, body, path) {
    const init = {
      method,
      credentials: 'include',
      cache: 'no-store',
      headers: body === undefined ? { 'X-CSRF': '1' } : { 'X-CSRF': '1', 'Content-Type': 'application/json' },
      signal: timeoutSignal()
    }
    if (body !== undefined) init.body = JSON.stringify(body)
    let res
    try {
      res = await fetch(service + (path || '/session'), init)
    } catch (err) {
      throw networkFailure(err, 'The session service')
    }
    let parsed = null
    if (res.status !== 204) {
      try { parsed = await res.json() } catch (err) { parsed = null }
    }
    return { status: res.status, body: parsed }
  }

  function customerOf (body) {
    if (!body || !body.customer) throw failure('unexpected_response', 'The service answered without a customer')
    return {
      id: body.customer.id,
      email: body.customer.email,
      group_id: body.customer.group_id,
      store_hash: body.store_hash
    }
  }

  /** GET /session: the customer of this browser's session, or null. */
  async function readSession () {
    const res = await call('GET')
    if (res.status === 200) return customerOf(res.body)
    if (res.status === 401) return null
    throw serviceFailure(res)
  }

  async function endSession () {
    const res = await call('DELETE')
    if (res.status !== 204) throw serviceFailure(res)
  }

  /** The Current Customer JWT from the store's own domain, or null for a guest (404). */
  async function fetchToken () {
    let res
    try {
      res = await fetch(TOKEN_PATH + '?app_client_id=' + encodeURIComponent(clientId), {
        credentials: 'same-origin', cache: 'no-store', signal: timeoutSignal()
      })
    } catch (err) {
      throw networkFailure(err, 'The store\'s ' + TOKEN_PATH)
    }
    if (res.status === 404) return null
    if (res.status !== 200) {
      throw failure('token_unavailable', 'The store answered ' + res.status + ' for ' + TOKEN_PATH, res.status)
    }
    let text = (await res.text()).trim()
    if (text.charAt(0) === '{') {
      try { text = JSON.parse(text).token } catch (err) { text = '' }
    }
    if (typeof text !== 'string' || text === '') {
      throw failure('token_unavailable', 'The store answered without a token')
    }
    return text
  }

  /** Who the token names, decoded and not verified: enough to compare with the session; null if unreadable. */
  function claimsOf (token) {
    try {
      const segment = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
      const payload = JSON.parse(atob(segment + '==='.slice((segment.length + 3) % 4)))
      return { id: payload.customer.id, store_hash: payload.store_hash }
    } catch (err) {
      return null
    }
  }

  function sameCustomer (customer, claims) {
    return customer !== null && claims !== null &&
      customer.id === claims.id && customer.store_hash === claims.store_hash
  }

  /**
   * After a 201 the session must be readable: if not, this browser drops the cookie (Safari, blocked
   * third-party cookies).
   */
  async function confirm (claims) {
    const customer = await readSession()
    if (customer === null || (claims !== null && customer.id !== claims.id)) {
      blocked = failure('cookies_blocked', 'The browser did not keep the session cookie: ' +
        'it blocks cookies of the session service on this site')
      throw blocked
    }
    return customer
  }

  async function exchange (token, isRetry) {
    const claims = claimsOf(token)
    const res = await call('POST', { token })
    if (res.status === 201) return confirm(claims)
    if (isRetry) throw serviceFailure(res)
    if (res.status === 409) {
      // Another tab exchanged this very token first: its cookie is ours too.
      const customer = await readSession()
      if (customer !== null && (claims === null || customer.id === claims.id)) return customer
    }
    if (res.status === 409 || (res.body && res.body.code === 'BCX_TOKEN_REVOKED')) {
      await sleep(RETRY_DELAY_MS)
      const fresh = await fetchToken()
      return fresh === null ? null : exchange(fresh, true)
    }
    throw serviceFailure(res)
  }

  async function establish () {
    if (!service || !clientId) {
      throw failure('config_error', 'The storefront.js script tag needs a src and a data-client-id attribute')
    }
    if (hint !== undefined) {
      const session = await readSession()
      if (hint === '') {
        if (session !== null) await endSession()
        return null
      }
      if (session !== null && String(session.id) === hint) return session
      const hinted = await fetchToken()
      guest = hinted === null
      if (hinted === null) {
        if (session !== null) await endSession()
        return null
      }
      return exchange(hinted, false)
    }
    const [token, existing] = await Promise.all([fetchToken(), readSession()])
    guest = token === null
    if (token === null) {
      if (existing !== null) await endSession()
      return null
    }
    if (sameCustomer(existing, claimsOf(token))) return existing
    return exchange(token, false)
  }

  function ready () {
    if (blocked) return Promise.reject(blocked)
    if (current === null) {
      const attempt = current = establish()
      // A transient failure may be retried by calling ready() again; cookies_blocked stays.
      attempt.catch(function () { if (current === attempt) current = null })
    }
    return current
  }

  /** Re-exchanges once for every fetch() that met a 401 at the same time. */
  function renew () {
    if (renewing === null) {
      renewing = (async function () {
        if (loggedOut || guest || hint === '' || !clientId) return null
        const token = await fetchToken()
        const customer = token === null ? null : await exchange(token, false)
        current = Promise.resolve(customer)
        return customer
      })()
      renewing.then(function () { renewing = null }, function () { renewing = null })
    }
    return renewing
  }

  async function unauthenticated (res) {
    if (res.status !== 401) return false
    try {
      return (await res.clone().json()).code === 'BCX_UNAUTHENTICATED'
    } catch (err) {
      return false
    }
  }

  async function bcFetch (path, init) {
    if (blocked) throw blocked
    if (!service) throw failure('config_error', 'The storefront.js script tag has no src')
    const url = new URL(path, service + '/')
    if (url.origin !== service) {
      throw failure('bad_path', 'BcSession.fetch only calls its own service (' + service + ')')
    }
    try {
      await ready()
    } catch (err) {
      if (err === blocked) throw err
    }
    const send = function () {
      const options = Object.assign({}, init, { credentials: 'include' })
      const headers = new Headers(init && init.headers)
      headers.set('X-CSRF', '1')
      options.headers = headers
      return fetch(url.href, options)
    }
    const res = await send()
    if (!(await unauthenticated(res))) return res
    // A stream body cannot be sent twice.
    if (init && init.body && typeof init.body.getReader === 'function') return res
    const customer = await renew()
    return customer === null ? res : send()
  }

  async function logout (options) {
    loggedOut = true
    current = Promise.resolve(null)
    if (!(options && options.everywhere)) return endSession()
    // Every session of the customer, this one included; no session here (401) is signed out already.
    const res = await call('DELETE', undefined, '/session/list?scope=all')
    if (res.status !== 204 && res.status !== 401) throw serviceFailure(res)
  }

  /** This customer's sessions; [] for a guest. */
  async function sessions () {
    if (blocked) throw blocked
    if (!service) throw failure('config_error', 'The storefront.js script tag has no src')
    const res = await bcFetch('/session/list', { method: 'GET', cache: 'no-store' })
    let body = null
    try { body = await res.json() } catch (err) { body = null }
    if (res.status === 401) return []
    if (res.status !== 200) throw serviceFailure({ status: res.status, body })
    if (!body || !Array.isArray(body.sessions)) {
      throw failure('unexpected_response', 'The service answered without sessions')
    }
    return body.sessions
  }

  window.BcSession = { ready, fetch: bcFetch, logout, sessions }
  // Started at once so the session is ready by the time the page asks; the rejection is the caller's to see.
  ready().catch(function () {})
  if (typeof CustomEvent === 'function') window.dispatchEvent(new CustomEvent('bcsession:loaded'))
})()
