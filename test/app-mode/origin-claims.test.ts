// A store's origins are whatever URLs its sites list, and each one it keeps is bound to it. Through the
// real install and load callbacks, a real Redis and the stand-in BigCommerce: at most 50 origins are kept
// per store (the rest dropped, logged and shown to the merchant), and an origin another store has a claim
// on too (another installed store's, or an exact ALLOWED_ORIGINS entry) is logged for the operator, naming
// both stores and no token, and shown on the merchant page. The binding rules themselves stay as they are.
import t from 'tap'
import type { Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { MAX_STORE_ORIGINS } from '../../src/app-mode/install-steps.js'
import { build, startRedis, STORE } from '../support/app.js'
import { exchange } from '../support/session.js'
import { token } from '../support/tokens.js'
import { standInAppEnv, within, standInBigCommerce, installThroughCallback } from '../support/app-mode.js'

const STATIC_EXACT = 'https://static-shop.example'

const redis = await startRedis(t)
const bc = await standInBigCommerce(t)
const { app, logs } = await build(t, {
  redis,
  env: {
    ...standInAppEnv(bc.url),
    BC_STORE_HASHES: STORE,
    ALLOWED_ORIGINS: `https://*.mybigcommerce.com,${STATIC_EXACT}`
  }
})

function sitesOf (storeHash: string, origins: string[]): void {
  bc.store(storeHash).sites =
    origins.map((o, i) => ({ id: i + 1, channel_id: 1, url: o, urls: [{ type: 'primary', url: `${o}/` }] }))
}

async function install (storeHash: string): Promise<LightMyRequestResponse> {
  const res = await installThroughCallback(app, bc, storeHash)
  t.equal(res.statusCode, 200, `${storeHash} installed`)
  await within(5000, () => app.allowLists.storeServed(storeHash), `${storeHash} in force`)
  return res
}

const load = async (on: FastifyInstance, storeHash: string): Promise<LightMyRequestResponse> =>
  await on.inject({ method: 'GET', url: `/bigcommerce/load?signed_payload_jwt=${await bc.signPayload(storeHash)}` })

interface LogLine {
  level: number,
  msg: string,
  storeHash?: string,
  origin?: string,
  otherStores?: string[],
  staticStores?: string[],
  dropped?: number,
  kept?: number
}
const logLines =
  (): LogLine[] => logs.flatMap((l) => l.split('\n')).filter((l) => l !== '').map((l) => JSON.parse(l) as LogLine)
const sharedOn = (res: LightMyRequestResponse): string[] =>
  [...res.body.matchAll(/data-shared-origin="([^"]+)"/g)].map((m) => m[1] as string)
const noTokenLogged = (t: Test, ...stores: string[]): void => {
  const text = logs.join('')
  for (const s of stores) {
    for (const tk of bc.store(s).tokens) {
      t.notOk(text.includes(tk),
    `no access token of ${s} in the log`)
    }
  }
}

t.test(`at most ${MAX_STORE_ORIGINS} origins are kept per store; the rest are dropped, logged and shown`, async (t) => {
  const origins =
    Array.from({ length: MAX_STORE_ORIGINS + 10 }, (_, i) => `https://shop-${String(i).padStart(2, '0')}.many.example`)
  sitesOf('manysites', origins)
  const page = await install('manysites')
  const kept = origins.slice(0, MAX_STORE_ORIGINS)
  const dropped = origins.slice(MAX_STORE_ORIGINS)
  for (const o of kept) t.ok(app.allowLists.storesOfOrigin(o).has('manysites'), `${o} is served`)
  t.same((await app.installs.get('manysites'))?.origins, kept, 'and only those are kept in Redis')
  for (const o of dropped) t.notOk(app.allowLists.originAllowed(o), `${o} is not served`)
  const refused = await exchange(app, await token({ storeHash: 'manysites' }), { origin: dropped[0] as string })
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'BCX_ORIGIN_REFUSED')
  t.equal((await exchange(app, await token({ storeHash: 'manysites' }), { origin: kept[0] as string })).statusCode, 201)
  t.match(page.body, /Needs attention/)
  t.match(page.body, `list ${origins.length} storefront origins; only the first ${MAX_STORE_ORIGINS}`)
  t.match(page.body, `${dropped[0] as string}, `)
  t.match(page.body, 'and 5 more')
  const line = logLines().find((l) => l.storeHash === 'manysites' && l.dropped !== undefined)
  t.match(line, { level: 40, kept: MAX_STORE_ORIGINS, dropped: 10 }, 'a warning with the counts')
  const again = await load(app, 'manysites')
  t.match(again.body, 'Installed, with problems', 'the load says so again')
  noTokenLogged(t, 'manysites')
})

t.test("an origin another installed store already has: warned, naming both stores, on each store's page", async (t) => {
  const shared = 'https://www.shared-shop.example'
  sitesOf('firstshop', [shared, 'https://first-own.example'])
  sitesOf('secondshop', [shared, 'https://second-own.example'])
  const first = await install('firstshop')
  t.same(sharedOn(first), [], 'nobody else has it yet')
  await within(5000, () => app.allowLists.storesOfOrigin(shared).has('firstshop'), 'firstshop owns it')
  const before = logLines().length
  const second = await install('secondshop')
  t.same(sharedOn(second), [shared])
  t.match(second.body, /Origins shared with other stores/)
  t.match(second.body, 'another store using this app')
  t.notMatch(second.body, 'firstshop', 'the merchant page does not name the other store')
  const warned = logLines().slice(before).filter((l) => l.origin === shared)
  t.match(warned, [{ level: 40, storeHash: 'secondshop', otherStores: ['firstshop'] }], 'the log names both stores')
  noTokenLogged(t, 'firstshop', 'secondshop')

  // The documented rule holds: a shared origin exchanges either store's tokens.
  await within(5000, () => app.allowLists.storesOfOrigin(shared).has('secondshop'), 'secondshop has it too')
  t.equal((await exchange(app, await token({ storeHash: 'firstshop' }), { origin: shared })).statusCode, 201)
  t.equal((await exchange(app, await token({ storeHash: 'secondshop' }), { origin: shared })).statusCode, 201)
  const firstLoad = await load(app, 'firstshop')
  t.same(sharedOn(firstLoad), [shared], "the first store's page says so too, from then on")
  t.match(firstLoad.body, 'Installed, with problems')
})

t.test('an origin listed exactly in ALLOWED_ORIGINS: warned, naming the static stores; a wildcard entry is no claim',
  async (t) => {
    sitesOf('claimer', [STATIC_EXACT, 'https://store-claimer.mybigcommerce.com'])
    const before = logLines().length
    const page = await install('claimer')
    t.same(sharedOn(page), [STATIC_EXACT], 'the wildcard-matched origin is not listed')
    t.match(page.body, "the service's own list of allowed origins")
    const warned = logLines().slice(before).filter((l) => l.storeHash === 'claimer' && l.origin !== undefined)
    t.match(warned, [{ level: 40, origin: STATIC_EXACT, otherStores: [], staticStores: [STORE] }],
      'one warning, naming the static store')
    noTokenLogged(t, 'claimer')

    // The documented rule holds: bound to the installed store, the static store is shut out of it.
    await within(5000, () => app.allowLists.storesOfOrigin(STATIC_EXACT).has('claimer'), 'claimer owns it')
    t.equal((await exchange(app, await token({ storeHash: 'claimer' }), { origin: STATIC_EXACT })).statusCode, 201)
    const locked = await exchange(app, await token({ storeHash: STORE }), { origin: STATIC_EXACT })
    t.equal(locked.statusCode, 403)
    t.equal(locked.json().code, 'BCX_ORIGIN_REFUSED')
  })

t.test('a store with no shared origin: no warning, no section', async (t) => {
  sitesOf('loner', ['https://loner.example'])
  const before = logLines().length
  const page = await install('loner')
  t.notMatch(page.body, /Origins shared/)
  t.equal(logLines().slice(before).filter((l) => l.origin !== undefined).length, 0)
  t.match((await load(app, 'loner')).body, 'Everything is set up.')
})
