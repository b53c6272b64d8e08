// The upstream's signature checks that docs/backend.md gives, in Node and in Python, run as printed
// against what the proxy really sent: a real request verifies once, its exact replay is refused, and a
// changed byte is refused.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ORIGIN } from '../support/app.js'
import { signIn } from '../support/session.js'
import { type Received, UPSTREAM_SECRET, appWithUpstream } from '../support/upstream-server.js'

const DOC = readFileSync(fileURLToPath(new URL('../../docs/backend.md', import.meta.url)), 'utf8')
const block = (lang: string, marker: string): string => {
  const found =
    [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string).find((b) =>
      b.includes(marker))
  if (found === undefined) throw new Error(`no ${lang} block with ${marker} in docs/backend.md`)
  return found
}

/** One received request as the verifiers take it: method, raw target, body, lower-case headers. */
const asInput = (r: Received): { method: string, target: string, body: string, headers: Record<string, string> } => ({
  method: r.method,
  target: r.url,
  body: r.body.toString('base64'),
  headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']))
})

async function received (t: {
  teardown: (fn: () => unknown) => void,
  equal: (a: unknown, b: unknown) => void
}): Promise<Received> {
  const { app, upstream } = await appWithUpstream(t)
  const { cookie } = await signIn(app, { email: 'jo ë@example.com' })
  const res = await app.inject({
    method: 'POST',
    url: '/api/points/redeem?n=1',
    headers: {
      origin: ORIGIN,
      'x-csrf': '1',
      cookie,
      'content-type': 'application/json'
    },
    payload: '{"points":10}'
  })
  t.equal(res.statusCode, 200)
  return upstream.received[0] as Received
}
t.test('the Node verifier of docs/backend.md', async (t) => {
  const r = await received(t)
  const dir = mkdtempSync(join(tmpdir(), 'bcx-verify-node-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'verify.mjs'), block('js', 'verifyBcx'))
  const { verifyBcx } = await import(join(dir, 'verify.mjs')) as { verifyBcx: (...a: unknown[]) => unknown }
  const input = asInput(r)
  const run = (over: Partial<typeof input> = {}): unknown => {
    const i = { ...input, ...over }
    return verifyBcx(UPSTREAM_SECRET, i.method, i.target, Buffer.from(i.body, 'base64'), i.headers)
  }
  t.match(run(), { id: 4927, storeHash: 'abc123' }, 'the real request verifies')
  t.equal(run(), null, 'its exact replay is refused')
  t.equal(run({ headers: { ...input.headers, 'x-request-id': 'another' } }), null, 'a changed header is refused')
  t.equal(run({ target: '/points/redeem?n=2' }), null, 'a changed query is refused')
})

const python = spawnSync('python3', ['--version']).status === 0

t.test('the Python verifier of docs/backend.md', { skip: python ? false : 'python3 is not installed' }, async (t) => {
  const r = await received(t)
  const input = asInput(r)
  const cases = [input, input, { ...input, body: Buffer.from('{"points":99}').toString('base64') }]
  const program = `${block('python', 'verify_bcx')}
import base64, json, sys
for case in json.load(sys.stdin):
    headers = case['headers']
    print(json.dumps(verify_bcx(${JSON.stringify(UPSTREAM_SECRET)}.encode(), case['method'], case['target'],
      base64.b64decode(case['body']), headers)))
`
  const out = spawnSync('python3', ['-c', program], { input: JSON.stringify(cases), encoding: 'utf8' })
  t.equal(out.status, 0, out.stderr)
  const [first, replay, changed] = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)
  t.match(first, { id: 4927, store_hash: 'abc123' }, 'the real request verifies')
  t.equal(replay, null, 'its exact replay is refused')
  t.equal(changed, null, 'a changed body is refused')
})
