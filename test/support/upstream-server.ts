// A stand-in internal service behind the proxy: a real HTTP server on loopback that records what
// arrives (method, target, headers as parsed and as sent, raw body) and answers with a small JSON echo;
// a target under /hang is recorded and never answered (a hung upstream). With it: the app proxying
// /api to it, and the two checks of the identity signature an upstream can make.
import { createHash, createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyUpstreamRequest, type VerifiedUpstreamRequest } from '../../src/lib/upstream-signature.js'
import { build, startRedis, type Built, type Teardown } from './app.js'
import type { RedisServer } from './redis-server.js'

export interface Received {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  /** Names and values as they came on the wire, in order (repeated headers stay apart). */
  rawHeaders: string[]
  body: Buffer
}

export interface StandInUpstream {
  url: string
  received: Received[]
  close (): Promise<void>
}

export async function startUpstream (): Promise<StandInUpstream> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body
      })
      if (req.url?.startsWith('/hang') === true) return
      if (req.url?.startsWith('/claims-headers') === true) {
        // An upstream that answers with CORS and cookies of its own, the session cookie's name among them.
        res.writeHead(200,
          [['content-type', 'application/json'], ['access-control-allow-origin', '*'],
            ['access-control-allow-credentials', 'true'],
            ['set-cookie', '__Host-bc_session=planted; Path=/; Secure'], ['set-cookie', 'upstream_pref=1; Path=/']])
        res.end('{}')
        return
      }
      res.writeHead(req.url?.startsWith('/teapot') === true ? 418 : 200,
        { 'content-type': 'application/json', 'x-upstream': 'yes', 'cache-control': 'public, max-age=3600' })
      res.end(JSON.stringify({
        upstream: true,
        method: req.method,
        url: req.url,
        customer: req.headers['x-customer-id'] ?? null
      }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}

/** The secret the app signs identity headers with for the upstream. */
export const UPSTREAM_SECRET = 'upstream-signing-secret-0123456789'

export interface ProxyingApp extends Built {
  redis: RedisServer
  upstream: StandInUpstream
}

/**
 * The app on a redis-server of its own, proxying /api to a stand-in upstream (UPSTREAM_URL with
 * `upstreamPath` appended); everything is closed at the test's teardown.
 */
export async function appWithUpstream (t: Teardown, { env = {}, upstreamPath = '' }:
{ env?: Record<string, string>, upstreamPath?: string } = {}): Promise<ProxyingApp> {
  const redis = await startRedis(t)
  const upstream = await startUpstream()
  t.teardown(() => upstream.close())
  const built = await build(t, {
    redis,
    env: { UPSTREAM_URL: upstream.url + upstreamPath, UPSTREAM_SIGNING_SECRET: UPSTREAM_SECRET, ...env }
  })
  return { ...built, redis, upstream }
}

/** What the service's own verifier makes of a received request. */
export const upstreamVerification = (r: Received): VerifiedUpstreamRequest =>
  verifyUpstreamRequest(UPSTREAM_SECRET, { method: r.method, pathAndQuery: r.url, body: r.body, headers: r.headers })

/**
 * The upstream's check as docs/backend.md gives it, written out by hand: the signature covers the
 * header texts as received.
 */
export function verifiedByHand (r: Received): boolean {
  const h = (name: string): string => {
    const value = r.headers[name]
    return Array.isArray(value) ? value.join(', ') : value ?? ''
  }
  const canonical = ['bcx-v1', r.method, r.url, createHash('sha256').update(r.body).digest('hex'), h('x-customer-id'),
    h('x-customer-email'), h('x-customer-group-id'), h('x-store-hash'), h('x-bcx-timestamp'), h('x-request-id')]
    .join('\n')
  return h('x-bcx-signature') === 'v1=' + createHmac('sha256', UPSTREAM_SECRET).update(canonical).digest('base64url')
}
