// The install's code exchange over real HTTP against the stand-in's token endpoint.
import t from 'tap'
import { exchangeAuthCode, type AuthCodeExchange } from '../../src/bigcommerce/oauth.js'
import { bigcommerceStatus } from '../../src/bigcommerce/failures.js'
import { startStandInBigCommerce } from '../../src/dev/stand-in-bigcommerce.js'

type Tap = { teardown: (fn: () => unknown) => void }
type Coded = Error & { code?: string, statusCode?: number }

async function setup (t: Tap) {
  const bc = await startStandInBigCommerce({ clientId: 'cid', clientSecret: 'client-secret-0123456789' })
  t.teardown(() => bc.close())
  const params = (code: string, o: Partial<AuthCodeExchange> = {}): AuthCodeExchange => ({
    loginUrl: bc.url, clientId: 'cid', clientSecret: 'client-secret-0123456789', code, scope: 'store_v2_content', context: 'stores/abc123', redirectUri: 'https://app.example/bigcommerce/auth', ...o
  })
  return { bc, params }
}

t.test('a code exchanges for the store\'s token, scope and installing user', async (t) => {
  const { bc, params } = await setup(t)
  const got = await exchangeAuthCode(params(bc.issueCode('abc123', { user: { id: 42, email: 'owner@example.com' } })))
  t.match(got, {
    storeHash: 'abc123',
    accessToken: /^bc-token-/,
    scope: 'store_v2_content',
    user: { id: 42, email: 'owner@example.com' }
  })
  t.ok(bc.store('abc123').tokens.has(got.accessToken), 'the store API accepts it')
  const sent = bc.requests[0]?.body as Record<string, string>
  t.same(sent, { client_id: 'cid', client_secret: 'client-secret-0123456789', code: sent.code, scope: 'store_v2_content', grant_type: 'authorization_code', redirect_uri: 'https://app.example/bigcommerce/auth', context: 'stores/abc123' })
})

t.test('refused: a used code, a wrong secret, another store\'s context: 502 with the endpoint\'s status', async (t) => {
  const { bc, params } = await setup(t)
  const code = bc.issueCode('abc123')
  await exchangeAuthCode(params(code))
  const cases: Array<[string, AuthCodeExchange, number]> = [
    ['used code', params(code), 400],
    ['wrong secret', params(bc.issueCode('abc123'), { clientSecret: 'wrong' }), 401],
    ['another store', params(bc.issueCode('xyz789'), { context: 'stores/abc123' }), 400]
  ]
  for (const [name, p, status] of cases) {
    const err = await exchangeAuthCode(p).then(() => null, (e: Coded) => e)
    t.equal(err?.code, 'BCX_BIGCOMMERCE_REFUSED', name)
    t.equal(err?.statusCode, 502, name)
    t.equal(bigcommerceStatus(err), status, name)
    t.notOk(String((err?.cause as Error).message).includes('client-secret'), `${name}: no secret in the cause`)
  }
  t.equal(bc.store('xyz789').tokens.size, 0)
  const bad = await exchangeAuthCode(params('x', { context: 'stores/../x' })).then(() => null, (e: Coded) => e)
  t.equal(bad?.code, 'BCX_BIGCOMMERCE_REFUSED')
  t.equal(bc.requests.length, 4, 'a malformed context is not sent')
})

t.test('a token endpoint that does not answer: 504; one that redirects: refused, not followed', async (t) => {
  const { bc, params } = await setup(t)
  bc.fault = 'hang'
  const slow =
    await exchangeAuthCode(params(bc.issueCode('abc123'), { timeoutMs: 300 })).then(() => null, (e: Coded) => e)
  t.equal(slow?.code, 'BCX_BIGCOMMERCE_TIMEOUT')
  bc.fault = 'redirect'
  const moved = await exchangeAuthCode(params(bc.issueCode('abc123'))).then(() => null, (e: Coded) => e)
  t.equal(moved?.code, 'BCX_BIGCOMMERCE_REFUSED')
  t.equal(bigcommerceStatus(moved), 302)
  t.notOk(bc.requests.some((r) => r.path === '/elsewhere'))
})
