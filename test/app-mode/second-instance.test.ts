// Two instances on one Redis: an install, a change of origins and an uninstall on A are in force on B
// within a second, without a restart. The figures are measured and printed; the safety nets (the
// periodic full reload, a reload after the subscriber reconnects) are checked with the channel silent.
import t from 'tap'
import { Redis } from 'ioredis'
import { build, startRedis, ORIGIN } from '../support/app.js'
import { exchange } from '../support/session.js'
import { token } from '../support/tokens.js'
import { InstalledAllowLists, syncAllowLists } from '../../src/app-mode/allow-lists.js'
import { createRedisInstallRegistry, installKey, STORES_KEY } from '../../src/app-mode/installs.js'
import { createTokenCipher } from '../../src/app-mode/token-cipher.js'
import { APP_ENV, installOf, TOKEN_KEY, within } from '../support/app-mode.js'

const ROUNDS = 20
/** The promise is one second; a loaded two-core machine may stall a poll, so a single round may take longer before
 * failing. */
const PROMISE_MS = 1000
const POLL_LIMIT_MS = 3000
const quiet = { warn: () => {}, debug: () => {} }

const redis = await startRedis(t)
const env = { ...APP_ENV, BC_STORE_HASHES: undefined, ALLOWED_ORIGINS: undefined }
const { app: a } = await build(t, { redis, env })
const { app: b } = await build(t, { redis, env })

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number
const fmt =
  (xs: number[]): string => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms over ${xs.length}`

t.test('an install, a change and an uninstall on A are in force on B within a second', async (t) => {
  const installs: number[] = []
  const changes: number[] = []
  const removals: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const store = `round${i}`
    const origin = `https://round${i}.example`
    const began = performance.now()
    await a.installs.put(installOf(store, [origin]))
    await within(POLL_LIMIT_MS, () => b.allowLists.storeServed(store) && b.allowLists.originAllowed(origin),
      `install ${i} on B`)
    installs.push(performance.now() - began)

    const changed = performance.now()
    await a.installs.update(store, { origins: [`https://moved${i}.example`] })
    await within(POLL_LIMIT_MS,
      () => b.allowLists.storesOfOrigin(`https://moved${i}.example`).has(store) &&
        !b.allowLists.originAllowed(origin), `change ${i} on B`)
    changes.push(performance.now() - changed)

    const removed = performance.now()
    await a.installs.remove(store)
    await within(POLL_LIMIT_MS, () => !b.allowLists.storeServed(store), `uninstall ${i} on B`)
    removals.push(performance.now() - removed)
  }
  t.comment(`install on A -> in force on B: ${fmt(installs)}`)
  t.comment(`origins changed on A -> in force on B: ${fmt(changes)}`)
  t.comment(`uninstall on A -> in force on B: ${fmt(removals)}`)
  for (const [what, xs] of [['install', installs], ['change', changes], ['uninstall', removals]] as const) {
    t.ok(median(xs) < PROMISE_MS, `${what}: median ${median(xs).toFixed(1)} ms, within a second`)
  }
})

t.test("B exchanges a store's tokens once A installed it, and refuses them once A uninstalled it", async (t) => {
  const origin = 'https://fresh.example'
  const before = await exchange(b, await token({ storeHash: 'fresh' }), { origin: ORIGIN })
  t.equal(before.statusCode, 403)
  t.equal(before.json().code, 'BCX_ORIGIN_REFUSED', 'nothing is installed yet: its origin is not allowed')
  await a.installs.put(installOf('fresh', [origin]))
  await within(POLL_LIMIT_MS, () => b.allowLists.storeServed('fresh'), 'fresh on B')
  t.equal((await exchange(b, await token({ storeHash: 'fresh' }), { origin })).statusCode, 201)
  await a.installs.remove('fresh')
  await within(POLL_LIMIT_MS, () => !b.allowLists.storeServed('fresh'), 'fresh gone from B')
  const res = await exchange(b, await token({ storeHash: 'fresh' }), { origin })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'BCX_ORIGIN_REFUSED', 'its origin is no longer allowed either')
})

t.test('a lost announcement is caught by the periodic full reload', async (t) => {
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const lists = new InstalledAllowLists(new Set(), [])
  const sync = syncAllowLists(lists, createRedisInstallRegistry(client, createTokenCipher([TOKEN_KEY])),
    { intervalMs: 300, log: quiet })
  t.teardown(() => sync.stop())
  await sync.started
  // Written as put() writes, but never announced.
  const writer = createRedisInstallRegistry(client, createTokenCipher([TOKEN_KEY]))
  const record = (await (async () => { await writer.put(installOf('silent', ['https://silent.example'])); return await client.get(installKey('silent')) })()) as string
  await client.del(installKey('silent'))
  await client.srem(STORES_KEY, 'silent')
  await within(POLL_LIMIT_MS, () => !lists.storeServed('silent'), 'cleared')
  await client.set(installKey('silent'), record)
  await client.sadd(STORES_KEY, 'silent')
  const elapsed = await within(POLL_LIMIT_MS, () => lists.storeServed('silent'), 'silent install found by the reload')
  t.comment(`unannounced install found by a 300 ms reload after ${elapsed.toFixed(0)} ms`)
  t.ok(lists.originAllowed('https://silent.example'))
})

t.test('after the subscriber reconnects, everything is reloaded (messages sent meanwhile are lost)', async (t) => {
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const lists = new InstalledAllowLists(new Set(), [])
  // No periodic reload within the test: only the reconnect can explain what is seen.
  const sync = syncAllowLists(lists, createRedisInstallRegistry(client, createTokenCipher([TOKEN_KEY])),
    { intervalMs: 3_600_000, log: quiet })
  t.teardown(() => sync.stop())
  await sync.started
  const writer = createRedisInstallRegistry(client, createTokenCipher([TOKEN_KEY]))
  await writer.put(installOf('missed', ['https://missed.example']))
  const record = await client.get(installKey('missed')) as string
  await writer.remove('missed')
  await within(POLL_LIMIT_MS, () => !lists.storeServed('missed'), 'cleared')
  await client.set(installKey('missed'), record)
  await client.sadd(STORES_KEY, 'missed')
  t.notOk(lists.storeServed('missed'), 'unannounced: not seen yet')
  await redis.client.client('KILL', 'TYPE', 'pubsub')
  const elapsed = await within(10_000, () => lists.storeServed('missed'), 'reloaded after the reconnect')
  t.comment(`reloaded ${elapsed.toFixed(0)} ms after the subscriber's connection was killed`)
})
