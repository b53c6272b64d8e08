// The stand-in BigCommerce over real HTTP: what the install steps and the demo rely on it to do.
import t from 'tap'
import { jwtVerify } from 'jose'
import { startStandInBigCommerce } from '../../src/dev/stand-in-bigcommerce.js'

async function setup (t: Tap) {
  const bc = await startStandInBigCommerce({ clientId: 'cid', clientSecret: 'secret-0123456789' })
  t.teardown(() => bc.close())
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${bc.url}/stores/abc123${path}`, {
      method,
      headers: {
        'x-auth-token': token,
        accept: 'application/json',
        ...(body !== undefined && { 'content-type': 'application/json' })
      },
      ...(body !== undefined && { body: JSON.stringify(body) })
    })
    return {
      status: res.status,
      headers: res.headers,
      body: res.status === 204 ? {} : await res.json() as Record<string, any>
    }
  }
  return { bc, call }
}
type Tap = { teardown: (fn: () => unknown) => void }

const exchange = async (url: string, params: Record<string, string>, form = true) => {
  const res = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(params).toString() : JSON.stringify(params)
  })
  return { status: res.status, body: await res.json() as Record<string, any> }
}

t.test('an issued code exchanges once for a token the store API accepts', async (t) => {
  const { bc, call } = await setup(t)
  const code = bc.issueCode('abc123', { user: { id: 7, email: 'owner@example.com' } })
  const params = {
    client_id: 'cid',
    client_secret: 'secret-0123456789',
    code,
    scope: 'store_v2_content',
    grant_type: 'authorization_code',
    redirect_uri: 'https://app.example/bigcommerce/auth',
    context: 'stores/abc123'
  }
  const first = await exchange(bc.url, params)
  t.equal(first.status, 200)
  t.match(first.body, {
    access_token: String,
    scope: 'store_v2_content',
    user: { id: 7, email: 'owner@example.com' },
    context: 'stores/abc123'
  })
  t.equal((await call('GET', '/v3/sites', first.body.access_token as string)).status, 200)
  t.equal((await exchange(bc.url, params, false)).status, 400, 'a code is good for one exchange (JSON body too)')
  t.equal(bc.calls('POST /oauth2/token'), 2)
})

t.test('the token endpoint refuses a wrong secret, an unknown code, another store\'s context', async (t) => {
  const { bc } = await setup(t)
  const base = {
    client_id: 'cid',
    client_secret: 'secret-0123456789',
    scope: 's',
    grant_type: 'authorization_code',
    redirect_uri: 'https://app.example/bigcommerce/auth',
    context: 'stores/abc123'
  }
  t.equal((await exchange(bc.url, { ...base, code: bc.issueCode('abc123'), client_secret: 'wrong' })).status, 401)
  t.equal((await exchange(bc.url, { ...base, code: 'never-issued' })).status, 400)
  t.equal((await exchange(bc.url, { ...base, code: bc.issueCode('xyz789') })).status, 400)
  t.equal(bc.store('abc123').tokens.size, 0, 'no token was issued')
})

t.test('sites, scripts and hooks; rate-limit headers on every answer; unknown tokens refused', async (t) => {
  const { bc, call } = await setup(t)
  const token = bc.grantToken('abc123')
  bc.store('abc123').sites.push({
    id: 2,
    channel_id: 2,
    url: 'https://shop.example',
    urls: [{ type: 'primary', url: 'https://shop.example' }, { type: 'checkout', url: 'https://pay.example' }]
  })
  const sites = await call('GET', '/v3/sites', token)
  t.same(sites.body.data.map((s: any) => s.urls.map((u: any) => u.type)), [['primary'], ['primary', 'checkout']])
  t.equal(sites.headers.get('x-rate-limit-requests-quota'), '150')
  t.equal(sites.headers.get('x-rate-limit-requests-left'), '149')
  t.ok(Number(sites.headers.get('x-rate-limit-time-reset-ms')) > 0)

  const created =
    await call('POST', '/v3/content/scripts', token, { name: 'bcx', kind: 'script_tag', html: '<script></script>' })
  const uuid = created.body.data.uuid as string
  t.match(created.body.data, { uuid: String, name: 'bcx', kind: 'script_tag' })
  t.equal((await call('GET', '/v3/content/scripts', token)).body.data.length, 1)
  t.equal((await call('PUT', `/v3/content/scripts/${uuid}`, token, { html: '<b></b>' })).body.data.html, '<b></b>')
  t.equal((await call('DELETE', `/v3/content/scripts/${uuid}`, token)).status, 204)
  t.equal((await call('GET', `/v3/content/scripts/${uuid}`, token)).status, 404)
  t.same(bc.requests.find((r) => r.method === 'POST' && r.path.endsWith('/scripts'))?.body,
    { name: 'bcx', kind: 'script_tag', html: '<script></script>' }, 'bodies are recorded')

  const hook = await call('POST', '/v3/hooks', token,
    { scope: 'store/app/uninstalled', destination: 'https://app.example/webhooks/bigcommerce', is_active: true })
  t.match(hook.body.data, { id: Number, scope: 'store/app/uninstalled' })
  t.equal((await call('GET', '/v3/hooks', token)).body.data.length, 1)
  t.equal((await call('DELETE', `/v3/hooks/${hook.body.data.id as number}`, token)).status, 204)
  t.equal(bc.store('abc123').hooks.size, 0)

  t.equal((await call('GET', '/v3/sites', 'not-a-token')).status, 401)
  t.equal(bc.calls('/stores/abc123/v3/sites'), 2)
})

t.test('a quota that runs out answers 429; throttleNext answers 429 with Retry-After', async (t) => {
  const { bc, call } = await setup(t)
  const token = bc.grantToken('abc123')
  Object.assign(bc.store('abc123'), { quota: 1, windowMs: 60_000 })
  t.equal((await call('GET', '/v3/sites', token)).headers.get('x-rate-limit-requests-left'), '0')
  const over = await call('GET', '/v3/sites', token)
  t.equal(over.status, 429)
  t.ok(Number(over.headers.get('x-rate-limit-time-reset-ms')) > 50_000)
  Object.assign(bc.store('abc123'), { quota: 100 })
  bc.throttleNext(1, 3)
  const throttled = await call('GET', '/v3/sites', token)
  t.equal(throttled.status, 429)
  t.equal(throttled.headers.get('retry-after'), '3')
  t.equal((await call('GET', '/v3/sites', token)).status, 200)
})

t.test('signed payloads verify with the client secret; installUrl carries a fresh code', async (t) => {
  const { bc } = await setup(t)
  const jwt = await bc.signPayload('abc123', { user: { id: 5, email: 'u@example.com' } })
  const { payload, protectedHeader } = await jwtVerify(jwt, new TextEncoder().encode('secret-0123456789'),
    { audience: 'cid', issuer: 'bc', subject: 'stores/abc123' })
  t.equal(protectedHeader.alg, 'HS256')
  t.match(payload,
    { user: { id: 5, email: 'u@example.com' }, owner: { id: 5 }, url: '/', jti: String, nbf: Number, exp: Number })
  const bare = await bc.signPayload('abc123', { omit: ['jti'], claims: { iss: 'other' } })
  t.match((await jwtVerify(bare, new TextEncoder().encode('secret-0123456789'))).payload,
    { iss: 'other', jti: undefined })

  const url = new URL(bc.installUrl('http://127.0.0.1:3000/', 'abc123'))
  t.equal(url.pathname, '/bigcommerce/auth')
  t.equal(url.searchParams.get('context'), 'stores/abc123')
  t.ok(url.searchParams.get('account_uuid'))
  const res = await exchange(bc.url, { client_id: 'cid', client_secret: 'secret-0123456789', code: url.searchParams.get('code') as string, scope: url.searchParams.get('scope') as string, grant_type: 'authorization_code', redirect_uri: 'http://127.0.0.1:3000/bigcommerce/auth', context: 'stores/abc123' })
  t.equal(res.status, 200)
})
