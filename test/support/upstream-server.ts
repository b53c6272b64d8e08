// A stand-in internal service behind the proxy: a real HTTP server on loopback that records what
// arrives (method, target, headers as parsed and as sent, raw body) and answers with a small JSON echo;
// a target under /hang is recorded and never answered (a hung upstream).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

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
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body })
      if (req.url?.startsWith('/hang') === true) return
      if (req.url?.startsWith('/claims-headers') === true) {
        // An upstream that answers with CORS and cookies of its own, the session cookie's name among them.
        res.writeHead(200, [['content-type', 'application/json'], ['access-control-allow-origin', '*'], ['access-control-allow-credentials', 'true'],
          ['set-cookie', '__Host-bc_session=planted; Path=/; Secure'], ['set-cookie', 'upstream_pref=1; Path=/']])
        res.end('{}')
        return
      }
      res.writeHead(req.url?.startsWith('/teapot') === true ? 418 : 200, { 'content-type': 'application/json', 'x-upstream': 'yes', 'cache-control': 'public, max-age=3600' })
      res.end(JSON.stringify({ upstream: true, method: req.method, url: req.url, customer: req.headers['x-customer-id'] ?? null }))
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
