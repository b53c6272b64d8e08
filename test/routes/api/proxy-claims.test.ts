// Any claim a validly signed token can carry, and the session store keeps, also reaches the upstream in
// headers it can verify: here a lone surrogate (JSON can escape one; UTF-8 cannot carry it), which used to
// make every proxied call of that session a 500.
import t from 'tap'
import { ORIGIN } from '../../support/app.js'
import { type Received, upstreamVerification, appWithUpstream, verifiedByHand } from '../../support/upstream-server.js'
import { signIn } from '../../support/session.js'

t.test('a lone surrogate in the email or group: the proxied call is answered, with headers the upstream verifies',
  async (t) => {
    const { app, logs, upstream } = await appWithUpstream(t)

    const cases: Array<[string, string, string | null, string, string | undefined]> = [
      ['email', '\ud800x@example.com', '6', '%EF%BF%BDx%40example.com', '6'],
      ['group', 'john.doe@gmail.com', 'vip\udc00', 'john.doe@gmail.com', 'vip%EF%BF%BD'],
      ['both, and a well-formed pair beside them', '\udbff\ud83d\ude00@example.com', '\ud800',
        '%EF%BF%BD%F0%9F%98%80%40example.com', '%EF%BF%BD']
    ]
    for (const [name, email, groupId, sentEmail, sentGroup] of cases) {
    // Signing in throws unless the token is accepted.
      const { cookie } = await signIn(app, { email, groupId })
      for (const [method, payload] of [['GET', undefined], ['POST', '{"points":10}']] as const) {
        const res = await app.inject({
          method,
          url: '/api/loyalty/points?x=1',
          headers: {
            origin: ORIGIN,
            'x-csrf': '1',
            cookie,
            ...(payload !== undefined && { 'content-type': 'application/json' })
          },
          ...(payload !== undefined && { payload })
        })
        t.equal(res.statusCode, 200, `${name} ${method}: answered by the upstream`)
        t.equal(res.headers['x-upstream'], 'yes', `${name} ${method}`)
        t.notOk(res.body.includes('URI malformed'), `${name} ${method}: no error text`)
        const r = upstream.received.at(-1) as Received
        t.equal(r.headers['x-customer-email'], sentEmail, `${name} ${method}: email as sent`)
        t.equal(r.headers['x-customer-group-id'], sentGroup, `${name} ${method}: group as sent`)
        t.ok(verifiedByHand(r), `${name} ${method}: verifies as documented`)
        const verified = upstreamVerification(r)
        t.ok(verified.ok, `${name} ${method}: verifyUpstreamRequest accepts it`)
        if (verified.ok) {
          t.equal(decodeURIComponent(verified.customer.email), email.replace(/\p{Cs}/gu, '\uFFFD'),
        `${name} ${method}: decodes to the well-formed email`)
        }
      }
    }
    t.equal(upstream.received.length, cases.length * 2)
    t.notOk(logs.some((l) => l.includes('"level":50')), 'nothing failed')
  })
