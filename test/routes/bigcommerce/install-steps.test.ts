// The install steps against the stand-in BigCommerce over real HTTP: origins from sites, the script
// through the Scripts API, the hooks (reused when present), and each step failing on its own.
import t from 'tap'
import { createBigCommerceClient } from '../../../src/bigcommerce/client.js'
import {
  deleteHooks, HOOK_SCOPES, readOrigins, scriptHtml, setUpStore, type StoreApi
} from '../../../src/app-mode/install-steps.js'
import { CLIENT_ID } from '../../support/app.js'
import { standInBigCommerce } from '../../support/app-mode.js'

const APP = { publicUrl: 'https://sessions.example.com', clientId: CLIENT_ID }
const NOTHING = { origins: [], scriptUuid: null, hookIds: [] }

t.test('install steps', async (t) => {
  const bc = await standInBigCommerce(t)
  const token = bc.grantToken('s1abc')
  const api = createBigCommerceClient({ storeHash: 's1abc', accessToken: token, apiUrl: bc.url })
  const store = bc.store('s1abc')
  store.sites = [
    { id: 1, channel_id: 1, url: 'https://WWW.Shop-One.example', urls: [{ type: 'primary', url: 'https://WWW.Shop-One.example/' }, { type: 'canonical', url: 'https://store-s1abc.mybigcommerce.com/path?x=1' }] },
    { id: 2, channel_id: 2, url: 'https://other.example', urls: [{ type: 'checkout', url: 'https://checkout.shop-one.example:8443/checkout' }, { type: 'primary', url: 'https://www.shop-one.example' }] }
  ]

  t.test('origins: primary, canonical and checkout urls of every site, normalized, once each', async (t) => {
    t.same(await readOrigins(api),
      ['https://checkout.shop-one.example:8443', 'https://store-s1abc.mybigcommerce.com',
        'https://www.shop-one.example'])
  })

  t.test('a first set-up creates the script and the three hooks', async (t) => {
    const done = await setUpStore(api, APP, NOTHING)
    t.same(done.problems, [])
    t.equal(done.origins.length, 3)
    const script = store.scripts.get(done.scriptUuid as string)
    t.match(script, {
      name: 'bc-session-exchanger',
      html: scriptHtml(APP),
      kind: 'script_tag',
      location: 'footer',
      visibility: 'storefront',
      consent_category: 'essential',
      auto_uninstall: true,
      load_method: 'default'
    })
    t.equal(scriptHtml(APP), `<script src="https://sessions.example.com/storefront.js" data-client-id="${CLIENT_ID}" data-customer-id="{{customer.id}}"></script>`)
    t.same([...store.hooks.values()].map((h) => [h.scope, h.destination]).sort(),
      HOOK_SCOPES.map((s) => [s, 'https://sessions.example.com/webhooks/bigcommerce']).sort())
    t.same(done.hookIds.sort(), [...store.hooks.keys()].sort())

    t.test('again: nothing new is created', async (t) => {
      const posts = bc.calls('POST /stores/s1abc/v3/hooks') + bc.calls('POST /stores/s1abc/v3/content/scripts')
      const again = await setUpStore(api, APP, done)
      t.equal(again.scriptUuid, done.scriptUuid)
      t.same(again.hookIds.sort(), done.hookIds.sort())
      t.equal(bc.calls('POST /stores/s1abc/v3/hooks') + bc.calls('POST /stores/s1abc/v3/content/scripts'), posts,
        'no POST')
      t.equal(store.scripts.size, 1)
      t.equal(store.hooks.size, 3)
    })

    t.test('a script whose uuid was lost is found by its name', async (t) => {
      const again = await setUpStore(api, APP, NOTHING)
      t.equal(again.scriptUuid, done.scriptUuid)
      t.equal(store.scripts.size, 1)
    })

    t.test('a deleted script is created again; a changed PUBLIC_URL updates the html', async (t) => {
      store.scripts.clear()
      const repaired = await setUpStore(api, APP, done)
      t.not(repaired.scriptUuid, done.scriptUuid)
      t.equal(store.scripts.size, 1)
      const moved = { ...APP, publicUrl: 'https://moved.example.com' }
      const updated = await setUpStore(api, moved, repaired)
      t.equal(updated.scriptUuid, repaired.scriptUuid)
      t.equal(store.scripts.get(updated.scriptUuid as string)?.html, scriptHtml(moved))
      await setUpStore(api, APP, updated)
    })

    t.test('uninstall deletes the hooks, best effort', async (t) => {
      const ids = [...store.hooks.keys()]
      t.equal(await deleteHooks(api, [...ids, 999999]), ids.length, 'an unknown id is skipped')
      t.equal(store.hooks.size, 0)
    })
  })

  t.test('each step fails alone, keeping what was there', async (t) => {
    const failing = (path: string): StoreApi => ({
      get: async (p, q) => { if (p.startsWith(path)) throw new Error('refused'); return await api.get(p, q) },
      post: async (p, b) => await api.post(p, b),
      put: async (p, b) => await api.put(p, b),
      delete: async (p) => await api.delete(p)
    })
    const before = { origins: ['https://kept.example'], scriptUuid: 'kept-uuid', hookIds: [1, 2, 3] }
    const noSites = await setUpStore(failing('/v3/sites'), APP, before)
    t.same(noSites.origins, ['https://kept.example'])
    t.equal(noSites.problems.length, 1)
    t.match(noSites.problems[0], /origins/)
    const failures: string[] = []
    const noHooks = await setUpStore(failing('/v3/hooks'), APP, before, ({ step }) => failures.push(step))
    t.same(noHooks.hookIds, [1, 2, 3])
    t.same(failures, ['hooks'])
    t.match(noHooks.problems, [/webhooks/])
  })
})
