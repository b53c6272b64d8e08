// SIGTERM to a real server process: new connections are refused, the request in flight finishes,
// Redis is closed (QUIT), and the process exits 0.
import t from 'tap'
import { request } from 'node:http'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { ORIGIN, startRedis } from '../support/app.js'
import { token } from '../support/tokens.js'
import { productionEnv, startServer } from '../support/server-process.js'

const refused = async (port: number): Promise<boolean> => await new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1')
  socket.once('connect', () => { socket.destroy(); resolve(false) })
  socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
})

t.test('SIGTERM with a request in flight: it finishes, new connections are refused, Redis is closed, exit 0',
  async (t) => {
    const redis = await startRedis(t)
    const server = await startServer(t, productionEnv(redis.url))

    const commands: string[] = []
    const monitor = await redis.client.monitor()
    monitor.on('error', () => {})
    t.teardown(() => monitor.disconnect())
    monitor.on('monitor', (_time: string, args: string[]) => { commands.push(String(args[0]).toUpperCase()) })

    // An exchange whose body arrives in two parts: the request is in flight while the signal comes.
    const body = Buffer.from(JSON.stringify({ token: await token() }))
    const req = request(`${server.url}/session`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'application/json', 'content-length': body.length }
    })
    t.teardown(() => req.destroy())
    interface Answer { status: number, setCookie: string[], connection?: string, text: string }
    const response = new Promise<Answer>((resolve, reject) => {
      req.on('error', reject)
      req.on('response', (res) => {
        let text = ''
        res.on('data', (d: Buffer) => { text += String(d) })
        res.on('end',
          () => resolve({
            status: res.statusCode ?? 0,
            setCookie: res.headers['set-cookie'] ?? [],
            connection: res.headers.connection,
            text
          }))
      })
    })
    req.write(body.subarray(0, 10))
    await sleep(300)

    const quitsBefore = commands.filter((c) => c === 'QUIT').length
    server.child.kill('SIGTERM')
    const deadline = Date.now() + 5000
    while (!await refused(server.port) && Date.now() < deadline) await sleep(20)
    t.ok(await refused(server.port), 'a new connection is refused once SIGTERM arrived')
    t.equal(server.child.exitCode, null, 'the process waits for the request in flight')

    await sleep(200)
    req.end(body.subarray(10))
    const res = await response
    t.equal(res.status, 201, `the request in flight finished: ${res.text}`)
    t.match(res.setCookie.join('\n'), /^__Host-bc_session=/)
    t.equal(res.connection, 'close', 'and closed its connection, so that nothing holds the exit back')

    const { code, signal } = await server.exited
    t.equal(code, 0)
    t.equal(signal, null)
    await sleep(100)
    t.equal(commands.filter((c) => c === 'QUIT').length, quitsBefore + 1, 'the service sent QUIT to Redis')
    t.match(server.stdout(), /"signal":"SIGTERM"/, 'the shutdown is logged')
    t.equal(server.stderr(), '')
  })

t.test('SIGTERM with a request that never finishes: the wait is bounded (10 s), then exit 1', async (t) => {
  const redis = await startRedis(t)
  const server = await startServer(t, productionEnv(redis.url))
  const req = request(`${server.url}/session`, {
    method: 'POST',
    headers: { origin: ORIGIN, 'x-csrf': '1', 'content-type': 'application/json', 'content-length': 100 }
  })
  req.on('error', () => {})
  t.teardown(() => req.destroy())
  req.write('{"tok')
  await sleep(300)
  const signalledAt = Date.now()
  server.child.kill('SIGTERM')
  const { code } = await server.exited
  const waited = Date.now() - signalledAt
  t.equal(code, 1)
  t.ok(waited >= 9000 && waited < 20_000, `exited ${waited} ms after SIGTERM`)
  t.match(server.stderr(), /killed by timeout/)
})
