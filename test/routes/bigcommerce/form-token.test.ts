// The merchant page's form token: genuine, of its store, until it expires; keyed apart from cookies.
import t from 'tap'
import { createFormTokenCodec, FORM_TOKEN_TTL_SECONDS } from '../../../src/app-mode/form-token.js'
import { SESSION_SECRET } from '../../support/app.js'

const NOW = 1_800_000_000_000

t.test('issue and verify', async (t) => {
  let now = NOW
  const codec = createFormTokenCodec([SESSION_SECRET], () => now)
  const token = codec.issue('s1abc')
  const ok = codec.verify(token)
  t.equal(ok?.storeHash, 's1abc')
  t.equal(ok?.expiresAt, NOW / 1000 + FORM_TOKEN_TTL_SECONDS)
  t.not(codec.issue('s1abc'), token, 'a fresh nonce each time')

  const [store, exp, nonce, mac] = token.split('.') as [string, string, string, string]
  t.equal(codec.verify(`s2abc.${exp}.${nonce}.${mac}`), null, 'another store')
  t.equal(codec.verify(`${store}.${(NOW / 1000 + 99999).toString(36)}.${nonce}.${mac}`), null, 'a later expiry')
  t.equal(codec.verify(`${store}.${exp}.${nonce}.${mac.slice(0, -2)}AA`), null, 'a changed MAC')
  t.equal(codec.verify(`${token}.`), null, 'trailing garbage')
  t.equal(codec.verify(undefined), null, 'missing')
  t.equal(codec.verify(['a']), null, 'not a string')

  now = NOW + FORM_TOKEN_TTL_SECONDS * 1000 + 1
  t.equal(codec.verify(token), null, 'expired')
})

t.test('rotation: the first secret signs, every one verifies', async (t) => {
  const old = createFormTokenCodec(['old-session-secret-0123456789abcdefgh'], () => NOW)
  const rotated = createFormTokenCodec([SESSION_SECRET, 'old-session-secret-0123456789abcdefgh'], () => NOW)
  t.ok(rotated.verify(old.issue('s1abc')), 'a token of the previous secret')
  t.equal(createFormTokenCodec([SESSION_SECRET], () => NOW).verify(old.issue('s1abc')), null,
    'after the old secret is gone')
})
