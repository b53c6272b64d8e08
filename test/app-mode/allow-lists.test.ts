// The in-memory allow-lists: static and installed parts, origin spellings, and the sync's ordering
// rules (a full reload never undoes a newer change); the verifier's store check as a function; and
// a start with Redis down, then up.
import t from 'tap'
import { InstalledAllowLists, syncAllowLists } from '../../src/app-mode/allow-lists.js'
import {
  createMemoryInstallRegistry, normalizeOrigin, type WatchedInstallRegistry
} from '../../src/app-mode/installs.js'
import { parseOriginPattern, type OriginPattern } from '../../src/lib/origin.js'
import { createTokenVerifier } from '../../src/token/verify-token.js'
import { build, CLIENT_ID, CLIENT_SECRET } from '../support/app.js'
import { token } from '../support/tokens.js'
import { freePort, startRedisServer } from '../support/redis-server.js'
import { APP_ENV, installOf, within } from '../support/app-mode.js'

const patterns = (...entries: string[]): OriginPattern[] => entries.map((e) => parseOriginPattern(e) as OriginPattern)
const quiet = { warn: () => {}, debug: () => {} }

t.test('static lists alone', async (t) => {
  const lists = new InstalledAllowLists(new Set(['abc123']), patterns('https://*.mybigcommerce.com'))
  t.ok(lists.storeServed('abc123'))
  t.notOk(lists.storeServed('other'))
  t.ok(lists.originAllowed('https://store-abc123.mybigcommerce.com'))
  t.notOk(lists.originAllowed(undefined))
  t.notOk(lists.originAllowed('https://evil.example'))
  t.same([...lists.storesOfOrigin('https://store-abc123.mybigcommerce.com')], [], 'a wildcard entry binds to no store')
  t.ok(new InstalledAllowLists(null, []).storeServed('anything'), 'null: any store (development)')
})

t.test('installed stores: served, their origins allowed and bound, in any spelling', async (t) => {
  const lists = new InstalledAllowLists(new Set(), [])
  lists.setStore('one', ['https://one.example', 'https://shared.example:8443'])
  lists.setStore('two', ['https://shared.example:8443'])
  t.ok(lists.storeServed('one'))
  for (const spelling of ['https://one.example', 'https://ONE.Example', 'https://one.example:443']) {
    t.ok(lists.originAllowed(spelling), spelling)
    t.same([...lists.storesOfOrigin(spelling)], ['one'], spelling)
  }
  t.notOk(lists.originAllowed('http://one.example'), 'another scheme is another origin')
  t.notOk(lists.originAllowed('https://one.example:444'))
  t.notOk(lists.originAllowed('https://x.one.example'))
  t.same([...lists.storesOfOrigin('https://shared.example:8443')].sort(), ['one', 'two'])
  lists.setStore('one', ['https://moved.example'])
  t.notOk(lists.originAllowed('https://one.example'), 'a moved origin is no longer allowed')
  t.same([...lists.storesOfOrigin('https://shared.example:8443')], ['two'])
  lists.setStore('two', null)
  t.notOk(lists.storeServed('two'))
  t.notOk(lists.originAllowed('https://shared.example:8443'))
  t.same([...lists.installed.keys()], ['one'])
  t.equal(normalizeOrigin('https://A.example:443'), 'https://a.example')
  t.equal(normalizeOrigin('https://*.a.example'), null)
})

t.test('replaceAll keeps what it is told to keep and drops the rest', async (t) => {
  const lists = new InstalledAllowLists(new Set(), [])
  lists.setStore('gone', ['https://gone.example'])
  lists.setStore('newer', ['https://newer.example'])
  lists.replaceAll(new Map([['fresh', ['https://fresh.example']], ['newer', ['https://stale.example']]]),
    (s) => s === 'newer')
  t.same([...lists.installed].sort(), [['fresh', ['https://fresh.example']], ['newer', ['https://newer.example']]])
  t.notOk(lists.originAllowed('https://gone.example'))
  t.notOk(lists.originAllowed('https://stale.example'))
})

t.test('a full reload that began before a change does not undo it', async (t) => {
  const memory = createMemoryInstallRegistry()
  await memory.put(installOf('racer', ['https://before.example']))
  // The snapshot is taken at once but delivered late, after the store changed and its message was applied.
  let release = (): void => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let slow = false
  const registry: WatchedInstallRegistry = {
    ...memory,
    allOrigins: async () => {
      const snapshot = await memory.allOrigins()
      if (slow) await gate
      return snapshot
    }
  }
  const lists = new InstalledAllowLists(new Set(), [])
  const sync = syncAllowLists(lists, registry, { intervalMs: 3_600_000, log: quiet })
  t.teardown(() => sync.stop())
  await sync.started
  t.ok(lists.originAllowed('https://before.example'))
  slow = true
  const reload = sync.reloadAll()
  await memory.update('racer', { origins: ['https://after.example'] })
  await within(3000, () => lists.originAllowed('https://after.example'), 'the change applied')
  release()
  await reload
  t.ok(lists.originAllowed('https://after.example'), 'still the newer origins')
  t.notOk(lists.originAllowed('https://before.example'))
  slow = false
  await sync.reloadAll()
  t.same([...lists.installed], [['racer', ['https://after.example']]], 'the next reload agrees')
})

t.test('the verifier takes the store check as a set or as a function', async (t) => {
  const served = new Set<string>()
  const asFunction = createTokenVerifier({
    clientId: CLIENT_ID,
    clientSecrets: [CLIENT_SECRET],
    clockTolerance: 60,
    storeHashes: (s) => served.has(s)
  })
  await t.rejects(asFunction(await token({ storeHash: 'later' })), { code: 'BCX_STORE_NOT_ALLOWED' })
  served.add('later')
  t.equal((await asFunction(await token({ storeHash: 'later' }))).customer.storeHash, 'later', 'asked per token')
  const asSet = createTokenVerifier({
    clientId: CLIENT_ID,
    clientSecrets: [CLIENT_SECRET],
    clockTolerance: 60,
    storeHashes: new Set(['abc123'])
  })
  t.equal((await asSet(await token())).customer.storeHash, 'abc123')
  await t.rejects(asSet(await token({ storeHash: 'later' })), { code: 'BCX_STORE_NOT_ALLOWED' })
})

t.test('started with Redis down: the static lists apply, and installs load once Redis answers', async (t) => {
  const port = await freePort()
  const began = performance.now()
  const { app } = await build(t, {
    redis: 'memory',
    env: {
      ...APP_ENV,
      BC_STORE_HASHES: 'abc123',
      ALLOWED_ORIGINS: undefined,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_COMMAND_TIMEOUT_MS: '300',
      LOG_LEVEL: 'silent'
    }
  })
  t.comment(`ready after ${(performance.now() - began).toFixed(0)} ms with Redis down`)
  t.ok(app.allowLists.storeServed('abc123'))
  t.notOk(app.allowLists.storeServed('late'))
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  const server = await startRedisServer([], port)
  t.teardown(() => server.close())
  // Written behind the service's back, never announced: only the load after the (re)connect finds it.
  const record = JSON.stringify({
    v: 1,
    ...installOf('late', ['https://late.example']),
    accessToken: undefined,
    token: 'v1.sealed.elsewhere'
  })
  await server.client.set('bcx:{app:late}:install', record)
  await server.client.sadd('bcx:{app}:stores', 'late')
  const elapsed = await within(15_000, () => app.allowLists.storeServed('late'), 'installs loaded after Redis came up')
  t.comment(`installs loaded ${elapsed.toFixed(0)} ms after Redis started`)
  t.ok(app.allowLists.originAllowed('https://late.example'))
})
