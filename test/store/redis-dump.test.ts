// A dump of Redis alone yields no usable session: keys hold only a hash of the session id, values
// hold no secret, and not even the cookie-signing secret turns what is stored back into a cookie.
import t from 'tap'
import { createHmac } from 'node:crypto'
import { build, startRedis, COOKIE_NAME, SESSION_SECRET } from '../support/app.js'
import { dumpRedis } from '../support/redis-state.js'
import { getSession, signIn } from '../support/session.js'
import { originTag } from '../../src/store/session-id.js'

t.test('after exchanges and reads, no key or value holds a session id, cookie or token', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis, env: { RATE_LIMIT_EXCHANGE: '100' } })
  const secrets: string[] = []
  for (const [customerId, storeHash] of [[4927, 'abc123'], [4927, 'abc123'], [12, 'abc123'],
    [4927, 'xyz789']] as const) {
    const { cookie: pair, jwt } =
      await signIn(app, { customerId, storeHash, origin: `https://store-${storeHash}.mybigcommerce.com` })
    const value = decodeURIComponent(pair.slice(COOKIE_NAME.length + 1))
    const sid = value.slice(0, value.lastIndexOf('.'))
    const random = sid.split('.')[3] as string
    t.equal(random.length, 43, 'the id carries 256 random bits')
    secrets.push(pair, value, sid, random, value.slice(value.lastIndexOf('.') + 1), jwt, jwt.split('.')[2] as string)
    t.equal((await getSession(app, pair, `https://store-${storeHash}.mybigcommerce.com`)).statusCode, 200)
  }

  const dump = await dumpRedis(redis.client)
  t.ok(dump.length >= 10, `${dump.length} keys to look through`)
  const text = JSON.stringify(dump)
  for (const secret of secrets) t.notOk(text.includes(secret), `not in the dump: ${secret.slice(0, 12)}…`)
  t.notOk(text.includes(SESSION_SECRET) || text.includes('test-client-secret'), 'no configured secret either')

  const sessionValues = dump.filter((e) => /:s:/.test(e.key))
  t.equal(sessionValues.length, 4)
  for (const { key, values } of sessionValues) {
    const [, storeHash, customerId] = /^bcx:\{([a-z0-9]+):([0-9]+)\}/.exec(key) ?? []
    // The store, customer and deadline are in the signed id; the value keeps the origin's hash, the token's iat,
    // one character each for the browser and OS family, the minute of last use, the group and the email.
    t.match(values[0], new RegExp(`^${originTag(`https://store-${storeHash as string}.mybigcommerce.com`)}B[0-9a-z]{7}[A-Za-z0-9_]{2}[0-9a-z]{6}1:0customer${customerId as string}@example\\.com$`),
      'a value holds the origin\'s hash, the token\'s iat, browser and OS codes, the last-seen minute, ' +
      'the group and the email only')
  }
})

t.test('a cookie rebuilt from the dump, even signed with the real secret, opens nothing', async (t) => {
  const redis = await startRedis(t)
  const { app } = await build(t, { redis })
  const { cookie: real } = await signIn(app)
  const [key] = await redis.client.keys('bcx:*:s:*')
  const member = (key as string).split(':s:')[1] as string
  const [, , abs] = decodeURIComponent(real.slice(COOKIE_NAME.length + 1)).split('.')

  const sign = (value: string): string =>
      `${value}.${createHmac('sha256', SESSION_SECRET).update(value).digest('base64').replace(/=+$/, '')}`
  const forged = sign(`abc123.4927.${abs as string}.${member}`)
  const res = await getSession(app, `${COOKIE_NAME}=${encodeURIComponent(forged)}`)
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'BCX_UNAUTHENTICATED')
  t.equal((await getSession(app, real)).statusCode, 200, 'the real cookie still works (the forgery was well-formed)')
  t.equal(sign(decodeURIComponent(real.slice(COOKIE_NAME.length + 1)).replace(/\.[^.]+$/, '')),
    decodeURIComponent(real.slice(COOKIE_NAME.length + 1)), 'the test signs like the service')
})
