// ioredis resends a command whose answer was lost with its connection. The exchange script must
// then answer "created" again (its session key exists), not "replayed": the shopper gets their
// session, not a false 409 and a session no one holds (found by the CLIENT KILL drill).
import t from 'tap'
import { createServer, connect, type Socket } from 'node:net'
import { build, startRedis } from '../support/app.js'
import { exchange, getSession, sessionCookieOf } from '../support/session.js'
import { token } from '../support/tokens.js'
import type { RedisServer } from '../support/redis-server.js'

/** A TCP proxy to Redis that, once armed, lets the exchange script run but drops its answer with the connection. */
async function lossyProxy (t: { teardown: (fn: () => unknown) => void },
  redis: RedisServer): Promise<{ url: string, arm: () => void, dropped: () => number }> {
  let armed = false
  let dropped = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(redis.port, '127.0.0.1')
    sockets.add(client).add(upstream)
    let dropNextReply = false
    client.on('data', (chunk) => {
      // The exchange script is the only command naming a guard key.
      if (armed && chunk.includes(':g:')) { armed = false; dropNextReply = true }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!dropNextReply) { client.write(chunk); return }
      dropped++
      client.destroy()
      upstream.destroy()
    })
    for (const s of [client, upstream]) s.on('error', () => {})
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close() })
  const { port } = server.address() as { port: number }
  return { url: `redis://127.0.0.1:${port}`, arm: () => { armed = true }, dropped: () => dropped }
}

t.test('an exchange whose answer was lost with the connection still answers 201', async (t) => {
  const redis = await startRedis(t)
  const proxy = await lossyProxy(t, redis)
  const { app } = await build(t, { redis: { ...redis, url: proxy.url } as RedisServer })
  // Once through, so Redis caches the script and the resend is the script itself, not a NOSCRIPT retry.
  t.equal((await exchange(app, await token({ customerId: 1 }))).statusCode, 201)

  proxy.arm()
  const res = await exchange(app, await token({ customerId: 2 }))
  t.equal(proxy.dropped(), 1, 'the answer was dropped and the connection closed')
  t.equal(res.statusCode, 201, `201, not ${res.statusCode} ${res.statusCode >= 400 ? res.json().code as string : ''}`)
  t.equal((await getSession(app, sessionCookieOf(res))).statusCode, 200, 'the cookie opens the session')
  t.equal((await redis.client.keys('bcx:{abc123:2}:s:*')).length, 1, 'one session, held by the shopper')
  t.equal(await redis.client.zcard('bcx:{abc123:2}:i'), 1)
})
