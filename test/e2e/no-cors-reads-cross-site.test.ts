// No-cors reads in the cross-site deployment: the storefront on http://localhost, the service on
// http://127.0.0.1, the default SameSite=None; Partitioned cookie, which every page of http://localhost sends.
import t from 'tap'
import { browserMissing } from './harness.js'
import { noCorsProof } from './no-cors-reads.js'

const missing = browserMissing()
if (missing !== null) {
  t.plan(0, `skipped: ${missing}`)
} else {
  t.test('cross-site: pages of http://localhost cannot read the session without CORS', async (t) => {
    await noCorsProof(t, { storefrontHost: 'localhost', serviceHost: '127.0.0.1', env: {}, pinned: true })
  })
}
