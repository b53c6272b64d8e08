// A request written byte by byte on a raw socket, for what fetch and inject cannot do: a body that
// stops half-way, a connection that sends nothing. The answer is read until the server closes.
import { connect, type Socket } from 'node:net'

export interface RawAnswer {
  /** 0 when the connection closed without an answer. */
  status: number
  headers: Record<string, string>
  body: string
  /** ms from the first byte written to the close. */
  closedAfterMs: number
}

export interface RawRequest { socket: Socket, answer: Promise<RawAnswer> }

/** `head` is everything up to and including the blank line; `bodyStart` what of the body is sent. */
export function rawRequest (port: number, head: string | null, bodyStart = ''): RawRequest {
  const socket = connect(port, '127.0.0.1')
  const started = Date.now()
  socket.on('connect', () => { if (head !== null) socket.write(head + bodyStart) })
  const chunks: Buffer[] = []
  socket.on('data', (d: Buffer) => chunks.push(d))
  const answer = new Promise<RawAnswer>((resolve) => {
    socket.on('error', () => {})
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [top = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = top.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const i = line.indexOf(':')
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0)
      resolve({ status, headers, body: rest.join('\r\n\r\n'), closedAfterMs: Date.now() - started })
    })
  })
  return { socket, answer }
}

/** A POST head with the given headers and Content-Length. */
export function postHead (path: string, headers: Record<string, string>, contentLength: number): string {
  const lines =
    Object.entries({ host: 'localhost', ...headers, 'content-length': String(contentLength) }).map(([k, v]) =>
      `${k}: ${v}`)
  return `POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}
