// Which of the browser's headers reach the upstream. Hop-by-hop headers belong to one connection
// (RFC 9110 §7.6.1), and several of them (Upgrade, Keep-Alive, Expect) make the HTTP client refuse the
// request, which would turn a healthy upstream into a 502. Credentials and claims about the client's
// address or protocol would be believed by an upstream that trusts them: the upstream gets our word
// instead, from what TRUST_PROXY lets us believe.
import type { FastifyRequest } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import { isIdentityHeader } from '../../lib/upstream-signature.js'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'expect',
  'http2-settings'
])

/**
 * What the browser must not say for itself: `cookie` carries the session; the others are credentials,
 * the client's address as CDNs and proxies name it, or a method or URL other than the one signed.
 */
const NOT_THE_CLIENTS_TO_SAY = new Set([
  'cookie', 'authorization', 'proxy-authorization', 'forwarded', 'x-real-ip',
  'true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'x-cluster-client-ip', 'fastly-client-ip',
  'x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-url', 'x-rewrite-url'
])

/** Set by the proxy for the upstream (destination host, the body it sends): Connection cannot remove them. */
const SET_BY_THE_PROXY = new Set(['host', 'content-length', 'content-type'])

/** The header names a Connection header lists, lower case. */
export function connectionNames (value: string | string[] | undefined): Set<string> {
  const names = new Set<string>()
  for (const line of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
    for (const name of line.split(',')) {
      const n = name.trim().toLowerCase()
      if (n !== '') names.add(n)
    }
  }
  return names
}

/** Whether a request header of the browser may be forwarded as it came. */
export function isForwardable (name: string, namedByConnection: ReadonlySet<string>): boolean {
  const n = name.toLowerCase()
  const neverForwarded = HOP_BY_HOP.has(n) || NOT_THE_CLIENTS_TO_SAY.has(n) || n.startsWith('x-forwarded-') ||
    isIdentityHeader(n)
  if (neverForwarded) return false
  return !namedByConnection.has(n) || SET_BY_THE_PROXY.has(n)
}

/** X-Forwarded-For, -Proto and -Host as Fastify resolved them: through TRUST_PROXY's proxies only. */
export function forwardedFor (request: FastifyRequest): Record<string, string> {
  const host = request.host
  return {
    ...(typeof request.ip === 'string' && request.ip !== '' && { 'x-forwarded-for': request.ip }),
    'x-forwarded-proto': request.protocol,
    ...(typeof host === 'string' && host !== '' && { 'x-forwarded-host': host })
  }
}

/**
 * The headers the upstream receives: the browser's, less what is not forwardable, then ours. Without a
 * body, the browser's framing headers go too: the upstream gets no body whatever the browser sent.
 */
export function upstreamHeaders (
  request: FastifyRequest,
  prepared: IncomingHttpHeaders,
  hasBody: boolean,
  added: Record<string, string>
): IncomingHttpHeaders {
  const named = connectionNames(request.headers.connection)
  const kept: IncomingHttpHeaders = {}
  for (const [name, value] of Object.entries(prepared)) {
    if (!isForwardable(name, named)) continue
    if (!hasBody && (name === 'content-length' || name === 'content-type')) continue
    kept[name] = value
  }
  return { ...kept, ...forwardedFor(request), ...added }
}

/**
 * The upstream's answer as the browser gets it: CORS is the service's to answer (the upstream's
 * Access-Control-* would replace ours), and the session cookie is the service's alone to set.
 */
export function downstreamHeaders (
  headers: Record<string, string | string[] | undefined>,
  cookieName: string
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {}
  for (const [name, value] of Object.entries(headers)) {
    const n = name.toLowerCase()
    if (n.startsWith('access-control-')) continue
    if (n === 'set-cookie') {
      const cookies = Array.isArray(value) ? value : value === undefined ? [] : [value]
      const kept = cookies.filter((c) => c.split('=', 1)[0]?.trim() !== cookieName)
      if (kept.length > 0) out[name] = kept
      continue
    }
    out[name] = value
  }
  return out
}
