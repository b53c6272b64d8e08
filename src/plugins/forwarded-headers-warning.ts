// One warning when forwarded headers keep arriving from a peer TRUST_PROXY does not list: most likely
// a proxy the operator forgot to configure, which puts every shopper behind it under one rate limit.
import fp from 'fastify-plugin'
import { BlockList, isIP } from 'node:net'
import type { Config } from '../config.js'

const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'] as const

/** Requests with forwarded headers from one untrusted peer before the warning: a stray client is not a proxy. */
export const WARN_AFTER = 20
// Bounds the memory a flood of distinct peers can take.
const MAX_PEERS = 1000

/** The TRUST_PROXY entries (validated addresses or CIDRs) as a matcher. */
export function trustedPeers (entries: readonly string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined]
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(bits), type)
  }
  return list
}

export default fp<{ config: Config }>(async function forwardedHeadersWarning (fastify, { config }) {
  const trusted = trustedPeers(config.trustProxy)
  const counts = new Map<string, number>()
  let warned = false

  fastify.addHook('onRequest', async function forwardedHeadersWarning (request) {
    if (warned) return
    const present = FORWARDED_HEADERS.filter((name) => request.headers[name] !== undefined)
    if (present.length === 0) return
    const peer = request.socket.remoteAddress
    const family = peer === undefined ? 0 : isIP(peer)
    if (peer === undefined || family === 0 || trusted.check(peer, family === 6 ? 'ipv6' : 'ipv4')) return
    if (counts.size >= MAX_PEERS && !counts.has(peer)) counts.clear()
    const seen = (counts.get(peer) ?? 0) + 1
    counts.set(peer, seen)
    if (seen < WARN_AFTER) return
    warned = true
    counts.clear()
    // Header names only: their values are the client's to choose and never reach a log.
    fastify.log.warn({ peer, headers: present, requests: seen },
      'forwarded headers keep arriving from a peer TRUST_PROXY does not list; they are ignored. ' +
      'If this peer is your proxy, add it to TRUST_PROXY: until then every client behind it shares one rate limit')
  })
}, { name: 'forwarded-headers-warning' })
