// The same-site deployment in a real browser: the storefront on http://shop.localhost, the service on its
// subdomain http://api.shop.localhost (one site), with COOKIE_SAMESITE=lax and no partitioning.
import t from 'tap'
import { browserMissing } from './harness.js'
import { browserProof } from './scenario.js'

const missing = browserMissing()
if (missing !== null) {
  t.plan(0, `skipped: ${missing}`)
} else {
  t.test('same-site: storefront http://shop.localhost, service http://api.shop.localhost, SameSite=Lax', async (t) => {
    await browserProof(t, {
      storefrontHost: 'shop.localhost',
      serviceHost: 'api.shop.localhost',
      env: { COOKIE_SAMESITE: 'lax', COOKIE_PARTITIONED: 'false' },
      pinned: false
    }, { cookie: { sameSite: 'Lax', partitionKey: undefined } })
  })
}
