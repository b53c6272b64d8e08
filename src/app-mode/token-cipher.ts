// The stores' access tokens at rest: AES-256-GCM, a key per STORE_TOKEN_KEY entry, the first encrypting.
import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes } from 'node:crypto'

/** v1.<key id>.<iv>.<ciphertext>.<tag>, base64url; the key id picks the key on the way back. */
const FORMAT = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16
const KEY_ID_BYTES = 6
// A fixed label: a key used for something else never yields the same AES key.
const INFO = 'bc-session-exchanger store access token v1'

export class TokenCipherError extends Error {
  constructor (readonly reason: 'malformed' | 'unknown key' | 'does not verify') {
    super(`stored access token ${reason}`)
    this.name = 'TokenCipherError'
  }
}

export interface TokenCipher {
  /**
   * `context` (the store hash) is bound to the ciphertext: a token copied to another store's record does
   * not decrypt.
   */
  encrypt (plaintext: string, context: string): string
  decrypt (sealed: string, context: string): string
}

interface Key { id: string, key: Buffer }

/**
 * HKDF turns a passphrase-like entry into a uniform 256-bit key. The id is a short hash of the derived
 * key, not of the entry: it names the key without helping anyone guess it, and survives reordering.
 */
function deriveKey (entry: string): Key {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(entry, 'utf8'), Buffer.alloc(0), INFO, 32))
  return { id: hash('sha256', key, 'base64url').slice(0, Math.ceil(KEY_ID_BYTES * 4 / 3)), key }
}

export function createTokenCipher (entries: readonly string[]): TokenCipher {
  if (entries.length === 0) throw new Error('createTokenCipher needs at least one key')
  const keys = entries.map(deriveKey)
  const byId = new Map<string, Buffer>()
  for (const k of keys) byId.set(k.id, k.key)
  const current = keys[0] as Key

  function parse (sealed: string): { id: string, iv: Buffer, data: Buffer, tag: Buffer } {
    const parts = sealed.split('.')
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new TokenCipherError('malformed')
    const [, id, iv, data, tag] = parts as [string, string, string, string, string]
    const out = {
      id,
      iv: Buffer.from(iv, 'base64url'),
      data: Buffer.from(data, 'base64url'),
      tag: Buffer.from(tag, 'base64url')
    }
    if (out.iv.length !== IV_BYTES || out.tag.length !== TAG_BYTES) throw new TokenCipherError('malformed')
    return out
  }

  return {
    encrypt (plaintext, context) {
      // A random 96-bit IV per token: far below the 2^32 encryptions per key where collisions begin to matter.
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES })
      cipher.setAAD(Buffer.from(`${current.id}:${context}`, 'utf8'))
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return [
        FORMAT,
        current.id,
        iv.toString('base64url'),
        data.toString('base64url'),
        cipher.getAuthTag().toString('base64url')
      ].join('.')
    },
    decrypt (sealed, context) {
      const { id, iv, data, tag } = parse(sealed)
      const key = byId.get(id)
      if (key === undefined) throw new TokenCipherError('unknown key')
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(`${id}:${context}`, 'utf8'))
      decipher.setAuthTag(tag)
      try {
        return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')
      } catch {
        throw new TokenCipherError('does not verify')
      }
    }
  }
}
