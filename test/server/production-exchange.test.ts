// The built server, started as operators start it (production rules, Redis), exchanges a token exactly
// as BigCommerce issues it: HS512, header {"typ":"JWT","alg":"HS512"}; and the documentation's HS256 form.
import t from 'tap'
import { CLIENT_ID, ORIGIN, STORE, startRedis } from '../support/app.js'
import { HS256_HEADER, HS512_HEADER, signRaw } from '../support/tokens.js'
import { productionEnv, startServer } from '../support/server-process.js'

const payload = (id: number): string => {
  const iat = Math.floor(Date.now() / 1000)
  return `{"customer":{"id":${id},"email":"john.doe@gmail.com","group_id":"6"},"iss":"bc/apps",` +
    `"sub":"${STORE}","iat":${iat},"exp":${iat + 900},"version":1,"aud":"${CLIENT_ID}",` +
    `"application_id":"${CLIENT_ID}","store_hash":"${STORE}","operation":"current_customer"}`
}

t.test('npm start in production exchanges HS512 and HS256 tokens, and refuses HS384', async (t) => {
  const redis = await startRedis(t)
  const server = await startServer(t, productionEnv(redis.url))
  const post = async (jwt: string): Promise<Response> => await fetch(`${server.url}/session`, {
    method: 'POST', headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'text/plain' }, body: jwt
  })
  for (const [name, header, id] of [['HS512', HS512_HEADER, 4927], ['HS256', HS256_HEADER, 4928]] as const) {
    const res = await post(signRaw(header, payload(id)))
    t.equal(res.status, 201, `${name}: 201`)
    t.match(await res.json(), { customer: { id }, store_hash: STORE }, `${name}: the session body`)
    t.ok(res.headers.getSetCookie().some((c) => c.startsWith('__Host-bc_session=')), `${name}: the cookie`)
  }
  const refused = await post(signRaw('{"typ":"JWT","alg":"HS384"}', payload(4929)))
  t.equal(refused.status, 401)
  t.equal((await refused.json() as { code: string }).code, 'BCX_TOKEN_INVALID')
})
