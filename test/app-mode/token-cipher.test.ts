// Access tokens at rest: AES-256-GCM round trip, key rotation by key id, tampering and wrong keys refused.
import t from 'tap'
import { createTokenCipher, type TokenCipherError } from '../../src/app-mode/token-cipher.js'

const KEY_A = 'store-token-key-A-0123456789abcdef0123'
const KEY_B = 'store-token-key-B-0123456789abcdef0123'
const TOKEN = 'bc-access-token-abcdefghijklmnop1234'
const STORE = 'abc123'

const refused = (reason: TokenCipherError['reason']) => ({ name: 'TokenCipherError', reason })

t.test('round trip; a fresh IV each time; the plaintext appears nowhere in the sealed form', async (t) => {
  const cipher = createTokenCipher([KEY_A])
  const one = cipher.encrypt(TOKEN, STORE)
  const two = cipher.encrypt(TOKEN, STORE)
  t.not(one, two, 'random IV: the same token seals differently')
  t.equal(cipher.decrypt(one, STORE), TOKEN)
  t.equal(cipher.decrypt(two, STORE), TOKEN)
  t.notOk(one.includes(TOKEN))
  t.notOk(Buffer.from(one.split('.')[3] as string, 'base64url').toString('latin1').includes(TOKEN))
  t.match(one, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/)
  t.notOk(one.includes(KEY_A))
  t.equal(cipher.decrypt(cipher.encrypt('', STORE), STORE), '', 'an empty token round-trips too')
  t.equal(cipher.decrypt(cipher.encrypt('ünïcødé ✓', STORE), STORE), 'ünïcødé ✓')
})

t.test('rotation: a new first key encrypts, the old one still decrypts what it sealed', async (t) => {
  const before = createTokenCipher([KEY_A])
  const old = before.encrypt(TOKEN, STORE)
  const rotated = createTokenCipher([KEY_B, KEY_A])
  t.equal(rotated.decrypt(old, STORE), TOKEN, 'the key id names KEY_A, found behind KEY_B')
  const fresh = rotated.encrypt(rotated.decrypt(old, STORE), STORE)
  t.not(fresh.split('.')[1], old.split('.')[1], 'the key id changed')
  t.equal(createTokenCipher([KEY_B]).decrypt(fresh, STORE), TOKEN, 're-encrypted: KEY_A can now be dropped')
  t.throws(() => createTokenCipher([KEY_B]).decrypt(old, STORE), refused('unknown key'),
    'dropping KEY_A too early: refused, not garbage')
  t.equal(createTokenCipher([KEY_A, KEY_B]).decrypt(fresh, STORE), TOKEN,
    'the order of the list does not matter for decryption')
})

t.test('tampering is refused', async (t) => {
  const cipher = createTokenCipher([KEY_A])
  const sealed = cipher.encrypt(TOKEN, STORE)
  const parts = sealed.split('.')
  const flip = (segment: string): string => {
    const bytes = Buffer.from(segment, 'base64url')
    bytes[0] = (bytes[0] as number) ^ 1
    return bytes.toString('base64url')
  }
  for (const index of [2, 3, 4]) {
    const changed = parts.slice()
    changed[index] = flip(changed[index] as string)
    t.throws(() => cipher.decrypt(changed.join('.'), STORE), refused('does not verify'), `segment ${index} flipped`)
  }
  t.throws(() => cipher.decrypt(sealed, 'xyz789'), refused('does not verify'),
    "another store's record: the store hash is authenticated")
  const otherKeyId = createTokenCipher([KEY_B]).encrypt(TOKEN, STORE).split('.')[1] as string
  t.throws(() => createTokenCipher([KEY_A, KEY_B]).decrypt([parts[0], otherKeyId, ...parts.slice(2)].join('.'), STORE),
    refused('does not verify'),
    "another known key's id in front of it: that key does not open it (refused, never garbage)")
  for (const bad of ['', 'v1', 'v2.' + parts.slice(1).join('.'), sealed + '.x',
    [parts[0], parts[1], 'AAAA', parts[3], parts[4]].join('.'),
    [parts[0], parts[1], parts[2], parts[3], 'AAAA'].join('.')]) {
    t.throws(() => cipher.decrypt(bad, STORE), refused('malformed'), JSON.stringify(bad).slice(0, 40))
  }
})

t.test('a wrong key is refused', async (t) => {
  const sealed = createTokenCipher([KEY_A]).encrypt(TOKEN, STORE)
  t.throws(() => createTokenCipher([KEY_B]).decrypt(sealed, STORE), refused('unknown key'))
  t.throws(() => createTokenCipher([]), /at least one key/)
})
