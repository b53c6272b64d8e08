import t from 'tap'
import { originAllowed, parseOriginPattern, type OriginPattern } from '../../src/lib/origin.js'

const patterns = ['https://*.mybigcommerce.com', 'https://shop.example.com',
  'http://localhost:5173'].map((p) => parseOriginPattern(p) as OriginPattern)

t.test('allow-list matching (the README\'s examples)', async (t) => {
  const allowed =
    ['https://store-abc123.mybigcommerce.com', 'https://STORE-ABC123.MyBigCommerce.com', 'https://shop.example.com',
      'https://shop.example.com:443', 'http://localhost:5173']
  const refused =
    ['https://a.b.mybigcommerce.com', 'https://mybigcommerce.com', 'https://mybigcommerce.com.evil.example',
      'http://store-abc123.mybigcommerce.com', 'https://shop.example.com:8443', 'https://shop.example.com.', 'http://localhost',
      'http://localhost:5174', 'null', '', 'https://shop.example.com/', 'https://-bad.mybigcommerce.com', 'https://*.mybigcommerce.com',
      'https://shop.example.com\r\nX: 1', `https://${'a'.repeat(300)}.mybigcommerce.com`]
  for (const o of allowed) t.ok(originAllowed(o, patterns), o)
  for (const o of refused) t.notOk(originAllowed(o, patterns), JSON.stringify(o))
  t.notOk(originAllowed(undefined, patterns))
})

t.test('parsing allow-list entries', async (t) => {
  for (const bad of ['*', 'https://*', 'https://*.com', 'https://a.*.com', 'ftp://x.com', 'https://x.com/path',
    'x.com', 'https://*.*.x.com']) {
    t.equal(parseOriginPattern(bad), null, bad)
  }
  t.same(parseOriginPattern('https://Shop.Example.com:443'),
    { scheme: 'https', wildcard: false, host: 'shop.example.com', port: '' })
})
