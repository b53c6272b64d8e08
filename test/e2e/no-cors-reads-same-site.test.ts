// No-cors reads in the same-site deployment: the storefront on http://shop.localhost, the service on its
// subdomain http://api.shop.localhost, SameSite=Lax and no partitioning: every page of the site sends the cookie.
import t from 'tap'
import { browserMissing } from './harness.js'
import { noCorsProof } from './no-cors-reads.js'

const missing = browserMissing()
if (missing !== null) {
  t.plan(0, `skipped: ${missing}`)
} else {
  t.test('same-site: pages of http://shop.localhost cannot read the session without CORS', async (t) => {
    await noCorsProof(t, {
      storefrontHost: 'shop.localhost',
      serviceHost: 'api.shop.localhost',
      env: { COOKIE_SAMESITE: 'lax', COOKIE_PARTITIONED: 'false' },
      pinned: false
    })
  })
}
