// Shared by the hardening, race, fuzz and drill tests: raw signing, error-shape checks, Redis scans.
import { createHmac } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Redis } from 'ioredis'
import type t from 'tap'
import { CLIENT_ID, CLIENT_SECRET, ORIGIN, STORE } from './app.js'

/** The type of a subtest's `t`. */
export type TestT = Parameters<Parameters<typeof t.test>[0]>[0]

const b64 = (text: string): string => Buffer.from(text).toString('base64url')

const HASHES: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

/** The hash an HMAC alg in a raw JSON header names; sha256 for anything else (what a forger might try). */
function hashNamedBy (headerJson: string): string {
  try {
    const alg = (JSON.parse(headerJson) as { alg?: unknown } | null)?.alg
    return typeof alg === 'string' ? HASHES[alg] ?? 'sha256' : 'sha256'
  } catch {
    return 'sha256'
  }
}

/**
 * Signs header and payload given as raw JSON text (so keys like "__proto__" survive), with the hash the
 * header's alg names unless `hash` says otherwise (a MAC of one algorithm under another's header).
 */
export function signRaw (headerJson: string, payloadJson: string, secret = CLIENT_SECRET, hash = hashNamedBy(headerJson)): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

/** The claims of a valid Current Customer token, as raw JSON text with `extra` spliced in. */
export function claimsJson ({ customerId = 4927, storeHash = STORE, extra = '', customerExtra = '' } = {}): string {
  const now = Math.floor(Date.now() / 1000)
  return `{"customer":{"id":${customerId},"email":"c${customerId}@example.com","group_id":"6"${customerExtra}},` +
    `"iss":"bc/apps","sub":"${storeHash}","iat":${now},"exp":${now + 900},"version":1,"aud":"${CLIENT_ID}",` +
    `"application_id":"${CLIENT_ID}","store_hash":"${storeHash}","operation":"current_customer"${extra}}`
}

/** The header BigCommerce sends, byte for byte. */
export const HS512_HEADER = '{"typ":"JWT","alg":"HS512"}'
/** The header of BigCommerce's documentation example. */
export const HS256_HEADER = '{"alg":"HS256","typ":"JWT"}'

/** Asserts Fastify's error shape with our code; returns the failures as text for property tests. */
export function errorShapeProblem (res: LightMyRequestResponse): string | null {
  let body: unknown
  try {
    body = res.json()
  } catch {
    return `status ${res.statusCode}: body is not JSON: ${res.body.slice(0, 80)}`
  }
  const b = body as Record<string, unknown>
  const keys = Object.keys(b).sort().join(',')
  if (keys !== 'code,error,message,statusCode') return `status ${res.statusCode}: body keys ${keys}`
  if (b.statusCode !== res.statusCode) return `status ${res.statusCode}: body statusCode ${String(b.statusCode)}`
  if (typeof b.code !== 'string' || !/^(BCX|FST)_[A-Z_]+$/.test(b.code)) return `status ${res.statusCode}: code ${String(b.code)}`
  return null
}

/** Set-Cookie headers that set a value (clearing a cookie is Max-Age=0 with an empty value). */
export function settingCookies (res: LightMyRequestResponse): string[] {
  const header = res.headers['set-cookie']
  const all = Array.isArray(header) ? header : header === undefined ? [] : [header]
  return all.filter((c) => !/^[^=]*=;/.test(c) || !/Max-Age=0/.test(c))
}

/** Every key and every value in Redis, as text (what a dump of Redis would hold). */
export async function dumpRedis (client: Redis): Promise<Array<{ key: string, values: string[] }>> {
  const out: Array<{ key: string, values: string[] }> = []
  let cursor = '0'
  do {
    const [next, found] = await client.scan(cursor, 'COUNT', 1000)
    cursor = next
    for (const key of found) {
      const type = await client.type(key)
      const values = type === 'string'
        ? [await client.get(key) ?? '']
        : type === 'zset'
          ? await client.zrange(key, 0, -1, 'WITHSCORES')
          : type === 'hash'
            ? Object.entries(await client.hgetall(key)).flat()
            : type === 'set'
              ? await client.smembers(key)
              : type === 'list' ? await client.lrange(key, 0, -1) : [`<${type}>`]
      out.push({ key, values })
    }
  } while (cursor !== '0')
  return out
}

/**
 * Session keys whose member is missing from the customer's index: a half-written exchange.
 * (Index members without a key are allowed: they are expired sessions the next exchange sweeps.)
 */
export async function orphanSessions (client: Redis): Promise<string[]> {
  const orphans: string[] = []
  const sessionKeys = await client.keys('bcx:*:s:*')
  for (const key of sessionKeys) {
    const m = /^(bcx:\{[^}]+\}):s:(.+)$/.exec(key)
    if (m === null) { orphans.push(key); continue }
    if (await client.zscore(`${m[1] as string}:i`, m[2] as string) === null) orphans.push(key)
  }
  return orphans
}

/** POST /session with any body, headers and remote address. */
export async function post (app: FastifyInstance, opts: { payload?: string, headers?: Record<string, string>, remoteAddress?: string } = {}): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: '/session',
    headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'application/json', ...opts.headers },
    payload: opts.payload ?? JSON.stringify({ token: 'not.a.token' }),
    ...(opts.remoteAddress !== undefined && { remoteAddress: opts.remoteAddress })
  })
}

/** Tallies status codes: `{ 201: 10, 503: 4 }`. */
export function tally (statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {}
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1
  return out
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Textual variants of one token that decode to the same bytes: the spare low bits of the
 * signature's last character (43 characters carry 256 bits, so 2 bits are spare).
 */
export function spareBitVariants (jwt: string): string[] {
  const [h, p, s] = jwt.split('.') as [string, string, string]
  const last = B64URL.indexOf(s.slice(-1))
  const spare = (s.length * 6) % 8
  const out: string[] = []
  for (let bits = 0; bits < 1 << spare; bits++) {
    const char = B64URL[(last & ~((1 << spare) - 1)) | bits] as string
    if (char !== s.slice(-1)) out.push(`${h}.${p}.${s.slice(0, -1)}${char}`)
  }
  return out
}
