// The stand-in BigCommerce's control panel page for one store: the app's state in the store and the
// three buttons a merchant has (install, open, uninstall). Plain HTML, no script: each button posts to
// the stand-in, which sends the browser on to the app's callback with what BigCommerce would send.

export interface ControlPanelView {
  hash: string
  /** The app's base URL (PUBLIC_URL), where its callbacks are. */
  serviceUrl: string
  installed: boolean
  /** The store's sites' URLs: the storefronts. */
  sites: string[]
  /** Script Manager: each enabled script's html. */
  scripts: string[]
  hooks: Array<{ scope: string, destination: string, active: boolean }>
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

// One string per line of the style sheet.
const STYLE = [
  'body{font:15px/1.45 system-ui,sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;color:#1d1d1f}',
  'h1{font-size:1.4rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}form{display:inline-block;margin:0 .6rem .6rem 0}',
  'button{font:inherit;padding:.4rem .9rem;cursor:pointer}' +
    'pre,code{background:#f3f3f3;border-radius:3px;padding:.1rem .3rem}',
  'pre{padding:.6rem;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.8rem}' +
    '.on{color:#137333}.off{color:#a35200}small{color:#555}'
].join('\n')

const INSTALL_NOTE = 'opens the app\'s auth callback with a one-use code, scope and context=stores/'
const LOAD_NOTE = 'opens the load callback with a signed_payload_jwt (the merchant page)'
const UNINSTALL_NOTE = 'removes the app\'s scripts, then opens the uninstall callback with a signed_payload_jwt'
const OPENED_HERE = 'BigCommerce opens these inside its control panel; here they open in this tab. ' +
  'Come back with the browser\'s Back button and reload.'

export function controlPanelPage (v: ControlPanelView): string {
  const base = `/manage/${encodeURIComponent(v.hash)}`
  const button = (action: string, label: string, what: string): string =>
    `<form method="post" action="${base}/${action}"><button id="${action}" type="submit">${label}</button></form>` +
    `<small>${what}</small><br>`
  const site = (url: string): string =>
    `<li><a href="${escape(url)}/" target="_blank" rel="noopener">${escape(url)}</a></li>`
  const sites = v.sites.map(site).join('')
  const scripts = v.scripts.length === 0
    ? '<p id="scripts" data-count="0">None: the storefront loads no script of the app.</p>'
    : `<div id="scripts" data-count="${v.scripts.length}">` +
      `${v.scripts.map((html) => `<pre>${escape(html)}</pre>`).join('')}</div>`
  const hook = (h: ControlPanelView['hooks'][number]): string =>
    `<li><code>${escape(h.scope)}</code> → ${escape(h.destination)}${h.active ? '' : ' (inactive)'}</li>`
  const hooks = v.hooks.length === 0
    ? '<p id="hooks" data-count="0">None.</p>'
    : `<ul id="hooks" data-count="${v.hooks.length}">${v.hooks.map(hook).join('')}</ul>`
  const state = v.installed ? 'installed' : 'not installed'
  const appState = `<strong id="app-state" data-installed="${String(v.installed)}" ` +
    `class="${v.installed ? 'on' : 'off'}">${state}</strong>`
  const head = `<html lang="en"><head><meta charset="utf-8"><title>Control panel · store ${escape(v.hash)}</title>` +
    `<style>${STYLE}</style></head>`
  return `<!doctype html>
${head}
<body>
<h1>Stand-in BigCommerce control panel <small>(store ${escape(v.hash)})</small></h1>
<p>The app <code>${escape(v.serviceUrl)}</code> is ${appState} on this store.</p>
<h2>Apps</h2>
${button('install', 'Install the app', INSTALL_NOTE + escape(v.hash))}
${button('load', 'Open the app', LOAD_NOTE)}
${button('uninstall', 'Uninstall the app', UNINSTALL_NOTE)}
<p><small>${OPENED_HERE}</small></p>
<h2>Storefront</h2><ul id="sites">${sites}</ul>
<h2>Script Manager</h2>${scripts}
<h2>Webhooks of the app</h2>${hooks}
</body></html>
`
}
