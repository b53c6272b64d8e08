// The install registry on a real Redis: records, re-installs, updates, removal, rotation of the token
// key, and no access token in plaintext anywhere in Redis or on the wire to it.
import t from 'tap'
import { Redis } from 'ioredis'
import {
  createRedisInstallRegistry, createMemoryInstallRegistry, installKey, STORES_KEY, CHANGED_CHANNEL
} from '../../src/app-mode/installs.js'
import { createTokenCipher } from '../../src/app-mode/token-cipher.js'
import { createRedisClient } from '../../src/plugins/redis.js'
import { startRedis } from '../support/app.js'
import { accessTokenOf, installOf, NEXT_TOKEN_KEY, TOKEN_KEY } from '../support/app-mode.js'

const redis = await startRedis(t)
const client = new Redis(redis.url)
client.on('error', () => {})
t.teardown(() => client.disconnect())
const registry = createRedisInstallRegistry(client, createTokenCipher([TOKEN_KEY]))

/** Every key's value as Redis would dump it (SCAN + DUMP), and as read (GET/HGETALL/SMEMBERS). */
async function dumpAll (): Promise<string> {
  const parts: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.client.scan(cursor, 'COUNT', 1000)
    cursor = next
    for (const key of keys) {
      parts.push(key)
      const dumped = await redis.client.dumpBuffer(key)
      if (dumped !== null) parts.push(dumped.toString('latin1'))
      const type = await redis.client.type(key)
      if (type === 'string') parts.push(await redis.client.get(key) ?? '')
      if (type === 'set') parts.push(...await redis.client.smembers(key))
      if (type === 'hash') parts.push(JSON.stringify(await redis.client.hgetall(key)))
    }
  } while (cursor !== '0')
  return parts.join('\n')
}

t.beforeEach(async () => { await redis.client.flushall() })

t.test('put, get, list: the record comes back whole; the token is stored only sealed', async (t) => {
  const install = installOf('store1', ['https://shop-one.example', 'https://www.shop-one.example:8443'],
    { scriptUuid: 'uuid-1', hookIds: [7, 8], problems: ['hooks: 502'] })
  await registry.put(install)
  t.same(await registry.get('store1'), install)
  t.same(await registry.list(), ['store1'])
  t.same(await redis.client.smembers(STORES_KEY), ['store1'])
  const raw = JSON.parse(await redis.client.get(installKey('store1')) as string) as Record<string, unknown>
  t.notOk('accessToken' in raw)
  t.match(raw.token, /^v1\.[A-Za-z0-9_-]{8}\./)
  const dump = await dumpAll()
  t.ok(dump.includes('store1'), 'the dump does hold the record')
  t.notOk(dump.includes(accessTokenOf('store1')), 'no plaintext token in SCAN + DUMP/GET of every key')
  t.equal(await registry.get('nostore'), null)
  t.equal(await registry.get('bad hash!'), null, 'a name that is no store hash reads nothing')
})

t.test('nothing sent to Redis carries the plaintext token (MONITOR)', async (t) => {
  const monitor = await client.monitor()
  monitor.on('error', () => {})
  const seen: string[] = []
  monitor.on('monitor', (_time: string, args: string[]) => { seen.push(args.join(' ')) })
  await registry.put(installOf('store2', ['https://two.example']))
  await registry.update('store2', { scriptUuid: 'uuid-2' })
  t.equal((await registry.get('store2'))?.accessToken, accessTokenOf('store2'))
  await registry.remove('store2')
  await new Promise((resolve) => setTimeout(resolve, 100))
  monitor.disconnect()
  t.ok(seen.some((line) => line.startsWith('set bcx:{app:store2}:install')), 'MONITOR saw the writes')
  t.ok(seen.some((line) => line === `publish ${CHANGED_CHANNEL} store2`), 'the announcement names the store only')
  t.notOk(seen.some((line) => line.includes(accessTokenOf('store2'))))
})

t.test('a re-install replaces the record and the token', async (t) => {
  await registry.put(installOf('store1', ['https://old.example'], { scriptUuid: 'old', problems: ['script: 500'] }))
  const again =
    installOf('store1', ['https://new.example'], { accessToken: 'bcaccessREPLACEDtoken', scope: 'store_v2_orders' })
  await registry.put(again)
  t.same(await registry.get('store1'), again)
  t.same(await registry.list(), ['store1'])
  const dump = await dumpAll()
  t.notOk(dump.includes('old.example'), 'nothing of the first install is left')
  t.notOk(dump.includes('bcaccessREPLACEDtoken'))
})

t.test('update changes only what it names, normalizes origins, and refuses a store not installed', async (t) => {
  const install = installOf('store1', ['https://shop.example'])
  await registry.put(install)
  const updated = await registry.update('store1',
    { origins: ['https://Shop.Example:443', 'https://b.example'], problems: [], scriptUuid: 'uuid-9' })
  const expected =
    { ...install, origins: ['https://shop.example', 'https://b.example'], problems: [], scriptUuid: 'uuid-9' }
  t.same(updated, expected)
  t.same(await registry.get('store1'), expected)
  t.equal(await registry.update('nostore', { problems: [] }), null)
  t.same(await registry.list(), ['store1'], 'updating a missing store creates nothing')
  t.equal(await redis.client.exists(installKey('nostore')), 0)
})

t.test('concurrent updates of one store lose neither change', async (t) => {
  await registry.put(installOf('store1', ['https://shop.example']))
  const otherClient = client.duplicate()
  t.teardown(() => otherClient.disconnect())
  const other = createRedisInstallRegistry(otherClient, createTokenCipher([TOKEN_KEY]))
  await Promise.all([
    registry.update('store1', { scriptUuid: 'from-a' }),
    other.update('store1', { hookIds: [1, 2, 3] }),
    registry.update('store1', { problems: ['x'] })
  ])
  const after = await registry.get('store1')
  t.equal(after?.scriptUuid, 'from-a')
  t.same(after?.hookIds, [1, 2, 3])
  t.same(after?.problems, ['x'])
})

t.test('invalid records are refused and nothing is written', async (t) => {
  await t.rejects(registry.put(installOf('bad:hash', ['https://a.example'])), /not a store hash/)
  await t.rejects(registry.put(installOf('store1', ['https://*.a.example'])), /not an origin/)
  await t.rejects(registry.put(installOf('store1', ['https://a.example/path'])), /not an origin/)
  await registry.put(installOf('store2', ['https://b.example']))
  await t.rejects(registry.update('store2', { origins: ['javascript:alert(1)'] }), /not an origin/)
  t.same(await registry.list(), ['store2'])
  t.same((await registry.get('store2'))?.origins, ['https://b.example'], 'the failed update changed nothing')
  t.same((await redis.client.keys('bcx:*')).sort(), [STORES_KEY, installKey('store2')].sort())
})

t.test('remove deletes the token, origins and settings', async (t) => {
  await registry.put(installOf('store1', ['https://a.example']))
  await registry.put(installOf('store2', ['https://b.example']))
  t.equal(await registry.remove('store1'), true)
  t.equal(await registry.get('store1'), null)
  t.same(await registry.list(), ['store2'])
  t.equal(await redis.client.exists(installKey('store1')), 0)
  t.equal(await registry.remove('store1'), false, 'a second remove finds nothing')
  t.equal(await registry.remove('bad hash'), false)
  t.notOk((await dumpAll()).includes('a.example'))
})

t.test('rotation: a token sealed by the old key reads after a new first key, and moves to it at the next write',
  async (t) => {
    await registry.put(installOf('store1', ['https://a.example']))
    const sealedBy = async (): Promise<string | undefined> => {
      const record = JSON.parse(await redis.client.get(installKey('store1')) ?? 'null') as { token: string }
      return record.token.split('.')[1]
    }
    const oldId = await sealedBy()
    const rotated = createRedisInstallRegistry(client, createTokenCipher([NEXT_TOKEN_KEY, TOKEN_KEY]))
    t.equal((await rotated.get('store1'))?.accessToken, accessTokenOf('store1'))
    await rotated.update('store1', { problems: [] })
    t.not(await sealedBy(), oldId, 'sealed again with the new key')
    const newOnly = createRedisInstallRegistry(client, createTokenCipher([NEXT_TOKEN_KEY]))
    t.equal((await newOnly.get('store1'))?.accessToken, accessTokenOf('store1'), 'the old key can go')
    await registry.put(installOf('store2', ['https://b.example']))
    await t.rejects(newOnly.get('store2'), { name: 'TokenCipherError', reason: 'unknown key' },
      'a key dropped too early: refused, never garbage')
    await rotated.put(installOf('store2', ['https://b.example'], { accessToken: 'bcaccessREINSTALLED' }))
    t.equal((await newOnly.get('store2'))?.accessToken, 'bcaccessREINSTALLED',
      'a re-install seals with the current key')
  })

t.test("a sealed token copied into another store's record does not open", async (t) => {
  await registry.put(installOf('store1', ['https://a.example']))
  await registry.put(installOf('store2', ['https://b.example']))
  const one = JSON.parse(await redis.client.get(installKey('store1')) as string) as { token: string }
  const two = JSON.parse(await redis.client.get(installKey('store2')) as string) as Record<string, unknown>
  await redis.client.set(installKey('store2'), JSON.stringify({ ...two, token: one.token }))
  await t.rejects(registry.get('store2'), { name: 'TokenCipherError', reason: 'does not verify' })
})

t.test('the in-process registry (development) behaves the same', async (t) => {
  const memory = createMemoryInstallRegistry()
  const heard: string[] = []
  const watch = memory.watch({ changed: (s) => heard.push(s), resync: () => {} })
  await watch.listening
  const install = installOf('store1', ['https://A.example:443'])
  await memory.put(install)
  const got = await memory.get('store1')
  t.same(got, { ...install, origins: ['https://a.example'] })
  if (got !== null) got.origins.push('https://mutated.example')
  t.same((await memory.get('store1'))?.origins, ['https://a.example'], 'callers get copies')
  t.same((await memory.update('store1', { scriptUuid: 'u' }))?.scriptUuid, 'u')
  t.equal(await memory.update('nostore', { scriptUuid: 'u' }), null)
  t.same(await memory.list(), ['store1'])
  t.same(await memory.originsOf('store1'), ['https://a.example'])
  t.same([...await memory.allOrigins()], [['store1', ['https://a.example']]])
  t.equal(await memory.remove('store1'), true)
  t.equal(await memory.remove('store1'), false)
  await t.rejects(memory.put(installOf('bad:hash', [])), /not a store hash/)
  t.same(heard, ['store1', 'store1', 'store1', 'store1'])
  await watch.stop()
})

t.test('changes are heard on a client made as the service makes it (bounded calls, no offline queue)', async (t) => {
  const service = createRedisClient({ kind: 'single', url: redis.url }, 1000)
  service.on('error', () => {})
  t.teardown(() => service.disconnect())
  const watched = createRedisInstallRegistry(service, createTokenCipher([TOKEN_KEY]))
  const heard: string[] = []
  let resyncs = 0
  const watch = watched.watch({ changed: (s) => heard.push(s), resync: () => { resyncs++ } })
  t.teardown(() => watch.stop())
  // Its own connection waits for Redis with no deadline: a subscription is no request a client waits on.
  await t.resolves(watch.listening, 'subscribed, not timed out')
  await registry.put(installOf('heard', ['https://heard.example']))
  await registry.update('heard', { problems: [] })
  await registry.remove('heard')
  const began = Date.now()
  while (heard.length < 3 && Date.now() - began < 3000) await new Promise((resolve) => setTimeout(resolve, 5))
  t.same(heard, ['heard', 'heard', 'heard'])
  t.equal(resyncs, 0)
})

t.test('an unreadable record leaves out its store only, and says so', async (t) => {
  const unreadable: string[] = []
  const watched =
    createRedisInstallRegistry(client, createTokenCipher([TOKEN_KEY]), { onUnreadable: (s) => unreadable.push(s) })
  await watched.put(installOf('good', ['https://good.example']))
  await watched.put(installOf('broken', ['https://broken.example']))
  await watched.put(installOf('alien', ['https://alien.example']))
  await redis.client.set(installKey('broken'), '{not json')
  await redis.client.set(installKey('alien'), JSON.stringify({ v: 2, storeHash: 'alien' }))
  t.same([...await watched.allOrigins()], [['good', ['https://good.example']]])
  t.same(unreadable.sort(), ['alien', 'broken'])
  await t.rejects(watched.get('broken'))
  await t.rejects(watched.originsOf('alien'), /not one this service wrote/)
})

t.test("a whole record copied under another store's key reads as not installed, and says so", async (t) => {
  const misplaced: Array<[string, string]> = []
  const watched = createRedisInstallRegistry(client, createTokenCipher([TOKEN_KEY]),
    { onUnreadable: (s, err) => misplaced.push([s, err.message]) })
  await watched.put(installOf('storea', ['https://a.example']))
  const copied = await redis.client.get(installKey('storea')) as string
  await redis.client.set(installKey('storeb'), copied)
  await redis.client.sadd(STORES_KEY, 'storeb')
  const before = await dumpAll()
  t.equal(await watched.get('storeb'), null, "store A's token is not handed out as store B's")
  t.equal(await watched.originsOf('storeb'), null)
  t.equal(await watched.update('storeb', { problems: ['x'] }), null, 'nothing to repair')
  t.same([...await watched.allOrigins()], [['storea', ['https://a.example']]], 'B is not served, A still is')
  t.equal(await redis.client.get(installKey('storeb')), copied, 'the copy is left as found, for the operator to see')
  t.equal(await dumpAll(), before, 'nothing changed')
  t.ok(misplaced.length >= 4 &&
    misplaced.every(([s, m]) =>
      s === 'storeb' && m === 'install record under storeb names store storea'), 'each read says so')
  t.same((await watched.get('storea'))?.accessToken, accessTokenOf('storea'), "A's own record reads as before")
})
