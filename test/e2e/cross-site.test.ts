// The cross-site deployment in a real browser: the storefront on http://localhost, the service on
// http://127.0.0.1 (two sites), the default SameSite=None; Partitioned cookie.
import t from 'tap'
import { browserMissing } from './harness.js'
import { browserProof } from './scenario.js'

const missing = browserMissing()
if (missing !== null) {
  t.plan(0, `skipped: ${missing}`)
} else {
  t.test('cross-site: storefront http://localhost, service http://127.0.0.1, partitioned cookie', async (t) => {
    await browserProof(t, {
      storefrontHost: 'localhost',
      serviceHost: '127.0.0.1',
      env: {},
      pinned: true
    }, { cookie: { sameSite: 'None', partitionKey: 'http://localhost' } })
  })
}
