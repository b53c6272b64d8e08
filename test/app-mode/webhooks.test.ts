// Webhooks of an installed store (app mode, not in BC_STORE_HASHES) act like those of a listed store:
// a customer deleted ends that customer's sessions; after the uninstall, its webhooks are ignored.
import t from 'tap'
import { build, startRedis, CLIENT_SECRET } from '../support/app.js'
import { getSession, signIn } from '../support/session.js'
import { customerEvent, signedDelivery, type Delivery } from '../support/webhook-delivery.js'
import { APP_ENV, installOf, within } from '../support/app-mode.js'

const STORE = 'appstore1'
const ORIGIN = 'https://shop.appstore1.example'

t.test('an installed store\'s customer/deleted webhook revokes; once uninstalled, its webhooks are ignored',
  async (t) => {
    const redis = await startRedis(t)
    const { app } = await build(t,
      { redis, env: { ...APP_ENV, BC_STORE_HASHES: undefined, ALLOWED_ORIGINS: undefined, LOG_LEVEL: 'silent' } })
    await app.installs.put(installOf(STORE, [ORIGIN]))
    await within(3000, () => app.allowLists.storeServed(STORE), 'installed')
    const deliver = async ({ body, headers }: Delivery): Promise<{ status: string, revoked: number }> =>
      (await app.inject({ method: 'POST', url: '/webhooks/bigcommerce', headers, payload: body })).json()

    const { cookie } = await signIn(app, { storeHash: STORE, customerId: 7, origin: ORIGIN })
    t.equal((await getSession(app, cookie, ORIGIN)).statusCode, 200)
    const created = Math.floor(Date.now() / 1000) + 5
    t.same(await deliver(signedDelivery(customerEvent('store/customer/deleted', STORE, 7, created), CLIENT_SECRET)),
      { status: 'revoked', revoked: 1 })
    t.equal((await getSession(app, cookie, ORIGIN)).statusCode, 401, 'the session ended')

    await app.installs.remove(STORE)
    await within(3000, () => !app.allowLists.storeServed(STORE), 'uninstalled')
    t.match(await deliver(signedDelivery(customerEvent('store/customer/deleted', STORE, 8, created), CLIENT_SECRET)),
      { status: 'ignored', revoked: 0 })
  })
