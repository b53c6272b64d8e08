// The /api session check runs before any body is read: a client without a session gets its 401 while its
// body is still arriving, so it cannot make the service buffer 64 KiB per connection. Real listener, raw
// socket, real upstream and Redis.
import t from 'tap'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { ORIGIN, OTHER_ORIGIN } from '../../support/app.js'
import { signIn } from '../../support/session.js'
import { appWithUpstream } from '../../support/upstream-server.js'

/** Sends the head and a first slice of a 64 KiB body, never the rest; resolves with the first answer. */
async function postUnfinished (port: number, headers: string[]): Promise<{ head: string, body: string }> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    const giveUp = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer while the body was unfinished; got ${JSON.stringify(text)}`))
    }, 15_000)
    socket.setEncoding('utf8')
    socket.on('error', (err) => { clearTimeout(giveUp); reject(err) })
    socket.on('data', (chunk: string) => {
      text += chunk
      const end = text.indexOf('\r\n\r\n')
      const length = /content-length: (\d+)/i.exec(text)
      if (end !== -1 && length !== null && text.length >= end + 4 + Number(length[1])) {
        clearTimeout(giveUp)
        socket.destroy()
        resolve({ head: text.slice(0, end), body: text.slice(end + 4) })
      }
    })
    socket.write(['POST /api/loyalty/redeem HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json',
      `Content-Length: ${64 * 1024}`, ...headers]
      .join('\r\n') + '\r\n\r\n' + '{"points":' + ' '.repeat(1000))
  })
}

t.test('without a valid session, an unfinished body gets 401 at once and nothing reaches the upstream', async (t) => {
  // The request timeout far beyond the wait below: only the guard can answer in time.
  const { app, upstream } = await appWithUpstream(t, { env: { REQUEST_TIMEOUT_MS: '120000' } })
  const { cookie } = await signIn(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  const cases: Array<[string, string[], number, string]> = [
    ['no cookie', [`Origin: ${ORIGIN}`, 'X-CSRF: 1'], 401, 'BCX_UNAUTHENTICATED'],
    ['a dead cookie', [`Origin: ${ORIGIN}`, 'X-CSRF: 1', `Cookie: ${cookie.slice(0, -3)}abc`], 401,
      'BCX_UNAUTHENTICATED'],
    ['another store\'s origin', [`Origin: ${OTHER_ORIGIN}`, 'X-CSRF: 1', `Cookie: ${cookie}`], 403,
      'BCX_ORIGIN_REFUSED'],
    ['no X-CSRF', [`Origin: ${ORIGIN}`, `Cookie: ${cookie}`], 403, 'BCX_CSRF_HEADER_MISSING']
  ]
  for (const [name, headers, status, code] of cases) {
    const { head, body } = await postUnfinished(port, headers)
    t.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), name)
    t.equal(JSON.parse(body).code, code, name)
  }
  t.equal(upstream.received.length, 0, 'nothing reached the upstream')

  // With a session the same request is read whole and forwarded.
  const full = await app.inject({
    method: 'POST',
    url: '/api/loyalty/redeem',
    headers: { origin: ORIGIN, 'x-csrf': '1', cookie, 'content-type': 'application/json' },
    payload: '{"points":10}'
  })
  t.equal(full.statusCode, 200)
  t.equal(upstream.received.length, 1)
  t.equal(upstream.received[0]?.body.toString(), '{"points":10}')
})
