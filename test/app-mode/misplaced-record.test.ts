// An install record copied whole under another store's key (a Redis operator's slip, or someone with
// write access to Redis) must not install that other store with the first store's token: the store it
// was copied to reads as not installed, everywhere, and the log says why.
import t from 'tap'
import { installKey, STORES_KEY } from '../../src/app-mode/installs.js'
import { exchange } from '../support/session.js'
import { token } from '../support/tokens.js'
import { within, appModeWithStandIn, installThroughCallback } from '../support/app-mode.js'

const A = 'storea'
const B = 'storeb'

t.test("store A's record under store B's key: B is not installed, its callbacks and tokens are refused, logged",
  async (t) => {
    const { app, logs, redis, bc } =
      await appModeWithStandIn(t, { sites: { [A]: 'https://a-shop.example' }, allowedOrigins: 'https://static.example' })
    t.equal((await installThroughCallback(app, bc, A)).statusCode, 200)
    await within(5000, () => app.allowLists.storeServed(A), 'A installed')

    await redis.client.set(installKey(B), await redis.client.get(installKey(A)) as string)
    await redis.client.sadd(STORES_KEY, B)
    await redis.client.publish('bcx:app:changed', B)
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.notOk(app.allowLists.storeServed(B), 'B is not served')
    t.equal(await app.installs.get(B), null)

    const apiCalls = bc.requests.length
    const load = await app.inject({
      method: 'GET',
      url: `/bigcommerce/load?signed_payload_jwt=${await bc.signPayload(B)}`
    })
    t.equal(load.statusCode, 403)
    t.match(load.body, 'data-code="BCX_STORE_NOT_ALLOWED"')
    t.equal(bc.requests.length, apiCalls, "no API call was made with A's token for B")
    const refused = await exchange(app, await token({ storeHash: B }), { origin: 'https://a-shop.example' })
    t.equal(refused.statusCode, 403)
    t.equal(refused.json().code, 'BCX_STORE_NOT_ALLOWED', 'B is not served')
    t.equal((await exchange(app, await token({ storeHash: A }), { origin: 'https://a-shop.example' })).statusCode,
      201, 'A is served as before')

    const said =
      logs.flatMap((l) => l.split('\n')).filter((l) => l.includes('install record under storeb names store storea'))
    t.ok(said.length >= 1, 'the log says which record names which store')
    for (const tk of bc.store(A).tokens) t.notOk(logs.join('').includes(tk), 'no token in the log')
  })

t.test('an unreadable install record does not stop the store from installing again: the install replaces it',
  async (t) => {
    const { app, logs, redis, bc } = await appModeWithStandIn(t, { sites: { [B]: 'https://b-shop.example' } })
    await redis.client.set(installKey(B), '{"storeHash":"storeb","token":"sealed-with-a-key-since-dropped"')
    const res = await installThroughCallback(app, bc, B)
    t.equal(res.statusCode, 200, 'installed')
    t.match(res.body, 'Installed.')
    t.ok(logs.some((l) => l.includes('previous install unreadable: replaced')), 'logged')
    t.equal((await app.installs.get(B))?.storeHash, B, 'the record is readable again')
    await within(5000, () => app.allowLists.storeServed(B), 'B installed')
    t.equal((await exchange(app, await token({ storeHash: B }), { origin: 'https://b-shop.example' })).statusCode, 201)
  })
