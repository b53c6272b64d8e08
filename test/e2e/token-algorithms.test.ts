// In a real browser, a store whose tokens are HS512 (as BigCommerce signs them) and one whose tokens are
// HS256 (its documentation's form): the storefront script exchanges either, once, and reads the session.
import t from 'tap'
import { browserMissing, open, setUpStage, signIn } from './harness.js'
import { CLIENT_ID } from '../support/app.js'

const missing = browserMissing()
if (missing !== null) {
  t.plan(0, `skipped: ${missing}`)
} else {
  for (const alg of ['HS512', 'HS256'] as const) {
    t.test(`${alg}: a signed-in shopper's token is exchanged once and the session read`, async (t) => {
      const stage =
        await setUpStage(t, { storefrontHost: 'localhost', serviceHost: '127.0.0.1', env: {}, pinned: false, alg })
      await open(stage.page, stage.store.url)
      const seen = await signIn(stage.page, 4927)
      t.equal(seen.error, undefined, JSON.stringify(seen.error))
      t.equal(seen.customer?.id, 4927, 'ready() gives the shopper')
      t.equal(seen.me?.status, 200, 'the protected route answers')
      t.same(stage.requests.filter((r) => r.method === 'POST' && r.path === '/session').map((r) => r.status), [201],
        'one exchange, 201')
      const header = await stage.page.evaluate(async (clientId) => {
        const jwt = await (await fetch(`/customer/current.jwt?app_client_id=${clientId}`)).text()
        return atob((jwt.split('.')[0] as string).replace(/-/g, '+').replace(/_/g, '/'))
      }, CLIENT_ID)
      t.equal(header, `{"typ":"JWT","alg":"${alg}"}`, 'the store signs with that algorithm')
    })
  }
}
