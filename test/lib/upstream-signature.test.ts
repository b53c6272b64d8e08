import t from 'tap'
import { createHash, createHmac } from 'node:crypto'
import {
  headerSafe, identityHeaders, isIdentityHeader, verifyUpstreamRequest, UPSTREAM_HEADERS
} from '../../src/lib/upstream-signature.js'

const SECRET = 'upstream-signing-secret-0123456789'
const customer = { id: 4927, email: 'john.doe@gmail.com', groupId: '6', storeHash: 'abc123' }
const request = { method: 'POST', pathAndQuery: '/loyalty/redeem?points=10&x=a+b', body: Buffer.from('{"points":10}') }
const NOW = 1_700_000_000_000

t.test('the headers verify, and the signature is the documented HMAC', async (t) => {
  const headers = identityHeaders(SECRET, request, customer, 'req-1', NOW)
  t.same(Object.keys(headers).sort(), Object.values(UPSTREAM_HEADERS).sort())
  t.equal(headers['x-customer-id'], '4927')
  t.equal(headers['x-customer-email'], 'john.doe@gmail.com')
  t.equal(headers['x-customer-group-id'], '6')
  t.equal(headers['x-store-hash'], 'abc123')
  t.equal(headers['x-bcx-timestamp'], '1700000000')
  t.equal(headers['x-request-id'], 'req-1')
  // Recomputed by hand, as the README tells an upstream to.
  const canonical =
    ['bcx-v1', 'POST', '/loyalty/redeem?points=10&x=a+b', createHash('sha256').update('{"points":10}').digest('hex'),
      '4927', 'john.doe@gmail.com', '6', 'abc123', '1700000000', 'req-1'].join('\n')
  t.equal(headers['x-bcx-signature'], 'v1=' + createHmac('sha256', SECRET).update(canonical).digest('base64url'))
  const verified = verifyUpstreamRequest(SECRET, { ...request, headers }, { now: NOW + 1000 })
  t.same(verified, { ok: true, customer, requestId: 'req-1' })
})

t.test('a captured header set does not fit any other request', async (t) => {
  const headers = identityHeaders(SECRET, request, customer, 'req-1', NOW)
  const variants: Array<[string, Parameters<typeof verifyUpstreamRequest>[1]]> = [
    ['another method', { ...request, method: 'PUT', headers }],
    ['another path', { ...request, pathAndQuery: '/loyalty/transfer?points=10&x=a+b', headers }],
    ['another query', { ...request, pathAndQuery: '/loyalty/redeem?points=1000&x=a+b', headers }],
    ['no query', { ...request, pathAndQuery: '/loyalty/redeem', headers }],
    ['another body', { ...request, body: Buffer.from('{"points":1000}'), headers }],
    ['no body', { ...request, body: '', headers }],
    ['another customer', { ...request, headers: { ...headers, 'x-customer-id': '1' } }],
    ['another email', { ...request, headers: { ...headers, 'x-customer-email': 'eve@example.com' } }],
    ['another group', { ...request, headers: { ...headers, 'x-customer-group-id': '1' } }],
    ['no group', { ...request, headers: { ...headers, 'x-customer-group-id': undefined } }],
    ['another store', { ...request, headers: { ...headers, 'x-store-hash': 'xyz789' } }],
    ['another timestamp', { ...request, headers: { ...headers, 'x-bcx-timestamp': '1700000001' } }],
    ['another request id', { ...request, headers: { ...headers, 'x-request-id': 'req-2' } }],
    ['no signature', { ...request, headers: { ...headers, 'x-bcx-signature': undefined } }],
    ['a repeated header', { ...request, headers: { ...headers, 'x-customer-id': ['4927', '4927'] } }]
  ]
  for (const [name, input] of variants) t.equal(verifyUpstreamRequest(SECRET, input, { now: NOW }).ok, false, name)
  t.equal(verifyUpstreamRequest('another-secret', { ...request, headers }, { now: NOW }).ok, false, 'another secret')
})

t.test('the timestamp window is 5 minutes either way', async (t) => {
  const headers = identityHeaders(SECRET, request, customer, 'req-1', NOW)
  t.equal(verifyUpstreamRequest(SECRET, { ...request, headers }, { now: NOW + 300_000 }).ok, true)
  t.same(verifyUpstreamRequest(SECRET, { ...request, headers }, { now: NOW + 301_000 }),
    { ok: false, reason: 'stale timestamp' })
  t.same(verifyUpstreamRequest(SECRET, { ...request, headers }, { now: NOW - 301_000 }),
    { ok: false, reason: 'stale timestamp' })
})

t.test('no group: the header is absent and signed as empty; a Unicode email is percent-encoded as sent', async (t) => {
  const headers =
    identityHeaders(SECRET, request, { ...customer, groupId: null, email: 'jöhn@exämple.com' }, 'req-1', NOW)
  t.notOk('x-customer-group-id' in headers)
  t.equal(headers['x-customer-email'], encodeURIComponent('jöhn@exämple.com'))
  const verified = verifyUpstreamRequest(SECRET, { ...request, headers }, { now: NOW })
  t.ok(verified.ok)
  if (verified.ok) t.equal(verified.customer.groupId, null)
})

t.test('identity headers a browser could forge', async (t) => {
  for (const name of ['X-Customer-Id', 'x-customer-email', 'X-CUSTOMER-GROUP-ID', 'x-customer-anything',
    'X-Store-Hash', 'x-bcx-signature', 'x-bcx-timestamp', 'X-Request-Id']) {
    t.ok(isIdentityHeader(name), name)
  }
  for (const name of ['content-type', 'x-csrf', 'accept', 'x-store', 'x-customer']) {
    t.notOk(isIdentityHeader(name),
      name)
  }
})

t.test('lone surrogates (a claim can hold one) are sent as U+FFFD, percent-encoded, and verify', async (t) => {
  t.equal(headerSafe('\ud800x@example.com'), '%EF%BF%BDx%40example.com')
  t.equal(headerSafe('a\udc00\ud83d\ude00'), 'a%EF%BF%BD%F0%9F%98%80', 'a well-formed pair stays itself')
  t.equal(headerSafe('plain@example.com'), 'plain@example.com')
  const headers =
    identityHeaders(SECRET, request, { ...customer, email: '\ud800x@example.com', groupId: '\udfff' }, 'req-1', NOW)
  t.equal(headers['x-customer-email'], '%EF%BF%BDx%40example.com')
  t.equal(headers['x-customer-group-id'], '%EF%BF%BD')
  t.ok(verifyUpstreamRequest(SECRET, { ...request, headers }, { now: NOW }).ok)
})
