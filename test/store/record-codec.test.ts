import t from 'tap'
import { newSessionId } from '../../src/session/ids.js'
import { originTag, parseSessionId, type SessionIdParts } from '../../src/store/session-id.js'
import {
  decodeRecord, encodeRecord, IAT_DIGITS, MINUTE_DIGITS, minuteOf, scoredByIat, withLastSeen
} from '../../src/store/record-codec.js'
import { agentCodes, UNKNOWN } from '../../src/lib/user-agent.js'
import type { Customer } from '../../src/customer.js'

const parts = parseSessionId(newSessionId({
  storeHash: 'abc123',
  customerId: 4927,
  absoluteAt: 1_800_000_000_000
})) as SessionIdParts
const ORIGIN = 'https://store-abc123.mybigcommerce.com'
const roundTrip = (customer: Omit<Customer, 'storeHash'>, origin = ORIGIN): ReturnType<typeof decodeRecord> =>
  decodeRecord(encodeRecord({
    customer: { ...customer, storeHash: 'abc123' },
    origin,
    iat: 1_700_000_000,
    absoluteAt: parts.absoluteAt
  }), parts)

const AT = Date.UTC(2024, 0, 2, 3, 4, 5)
const CHROME = agentCodes('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/126.0.0.0 Safari/537.36')

t.test('the store, customer id and deadline come from the id; the value keeps the rest', async (t) => {
  const text = encodeRecord({
    customer: { id: 4927, email: 'customer4927@example.com', groupId: '0', storeHash: 'abc123' },
    origin: ORIGIN,
    iat: 1_700_000_000,
    absoluteAt: parts.absoluteAt,
    agent: CHROME
  }, AT)
  const minute = minuteOf(AT).toString(36).padStart(MINUTE_DIGITS, '0')
  t.equal(text, `${originTag(ORIGIN)}B0s44we8cw${minute}1:0customer4927@example.com`,
    'origin tag, kind, iat in 7 base36 digits, browser, OS, minute, group, email')
  t.equal(parseInt(text.slice(12, 12 + IAT_DIGITS), 36), 1_700_000_000)
  t.ok(Buffer.byteLength(text) <= 56, 'a usual session stays small')
  t.notOk(text.includes('abc123') || text.includes('4927.'), 'nothing the id already carries')
  t.same(decodeRecord(text, parts), {
    customer: { id: 4927, email: 'customer4927@example.com', groupId: '0', storeHash: 'abc123' },
    originTag: originTag(ORIGIN),
    absoluteAt: parts.absoluteAt,
    agent: { browser: 'c', os: 'w' },
    lastSeenMinute: minuteOf(AT)
  })
})

t.test('the last-seen minute is rewritten in place; older formats have none', async (t) => {
  const text = encodeRecord({
    customer: { id: 4927, email: '9:x@y', groupId: '12:3', storeHash: 'abc123' },
    origin: ORIGIN,
    iat: 1_700_000_000,
    absoluteAt: parts.absoluteAt
  }, AT)
  const later = withLastSeen(text, minuteOf(AT) + 90) as string
  t.equal(later.length, text.length)
  t.same(decodeRecord(later, parts), { ...decodeRecord(text, parts), lastSeenMinute: minuteOf(AT) + 90 },
    'only the minute changed')
  t.same(decodeRecord(text, parts)?.agent, { browser: UNKNOWN, os: UNKNOWN }, 'no User-Agent: unknown')
  t.equal(withLastSeen(withLastSeen(text, 36 ** MINUTE_DIGITS - 1) as string, minuteOf(AT)), text,
    'six digits hold the largest minute')
  const tag = originTag(ORIGIN)
  for (const old of [`${tag}s1:0a@b`, `${tag}na@b`]) {
    t.equal(withLastSeen(old, minuteOf(AT)), null, old)
    t.equal(decodeRecord(old, parts)?.lastSeenMinute, null)
    t.same(decodeRecord(old, parts)?.agent, { browser: UNKNOWN, os: UNKNOWN })
  }
  t.ok(scoredByIat(`${tag}s1:0a@b`) && scoredByIat(`${tag}na@b`))
  t.notOk(scoredByIat(text))
})

t.test('the iat is kept rounded up, so a whole-second cutoff compares alike', async (t) => {
  const iatOf = (iat: number): number =>
    parseInt(encodeRecord({
      customer: { id: 1, email: 'a@b', groupId: null, storeHash: 'abc123' },
      origin: ORIGIN,
      iat,
      absoluteAt: parts.absoluteAt
    }).slice(12, 12 + IAT_DIGITS), 36)
  t.equal(iatOf(1_700_000_000), 1_700_000_000)
  t.equal(iatOf(1_700_000_000.2), 1_700_000_001, 'iat 1700000000.2 is after a cutoff of 1700000000')
  t.equal(iatOf(36 ** 7 - 1), 36 ** 7 - 1, 'seven digits hold the largest')
})

t.test('a value written before the iat was kept (lower-case kind, no iat) still reads', async (t) => {
  const tag = originTag(ORIGIN)
  const at = (text: string) => decodeRecord(text, parts)?.customer
  t.same(at(`${tag}s1:0customer4927@example.com`),
    { id: 4927, email: 'customer4927@example.com', groupId: '0', storeHash: 'abc123' })
  t.same(at(`${tag}na@b`), { id: 4927, email: 'a@b', groupId: null, storeHash: 'abc123' })
  t.same(at(`${tag}j[null,"a@b"]`), { id: 4927, email: 'a@b', groupId: null, storeHash: 'abc123' })
})

t.test('any email and group survive, delimiters and digits included', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['', null], ['', ''], ['a@b', null], ['a@b', ''], ['12:34@x', '5:6'], ['n', 's'], ['"quoted"@x', '["x",1]'],
    ['line\nbreak@x', 'tab\tgroup'], ['ünïcödé@例え.jp', '😀'], [':', ':'], ['0:', '10:'], ['x'.repeat(500),
      'g'.repeat(300)],
    ['lone\ud800@x', null], ['ok@x', 'lone\udc00'], ['\u0000nul@x', '\u0000']
  ]
  for (const [email, group] of cases) {
    t.same(roundTrip({ id: parts.customerId, email, groupId: group })?.customer,
      { id: parts.customerId, email, groupId: group, storeHash: 'abc123' }, JSON.stringify([email, group]))
  }
})

t.test('the origin is kept as its tag, the same for the same origin only', async (t) => {
  t.equal(roundTrip({ id: 4927, email: 'a@b', groupId: null })?.originTag, originTag(ORIGIN))
  t.not(originTag('https://store-abc124.mybigcommerce.com'), originTag(ORIGIN))
  t.not(originTag('http://store-abc123.mybigcommerce.com'), originTag(ORIGIN))
  t.match(originTag(ORIGIN), /^[A-Za-z0-9_-]{11}$/)
})

t.test('anything this service did not write decodes to null', async (t) => {
  const tag = originTag(ORIGIN)
  for (const text of ['', '{}', '{"c":4927,"e":"a@b"}', tag, `${tag}x`, `${tag}s`, `${tag}s5:ab`, `${tag}s01:ab`,
    `${tag}s-1:ab`, `${tag}sx:ab`,
    `${tag}j`, `${tag}j{}`, `${tag}j["a"]`, `${tag}j[1,"a"]`, `${tag}j[null,2]`, 'short!!!!!!n',
    `${'*'.repeat(11)}na@b`,
    `${tag}N`, `${tag}N0s44we8a@b`, `${tag}S0s44we81:0a@b`, `${tag}J0s44we8[null,"a@b"]`, `${tag}X0s44we8a@b`,
    `${tag}A`, `${tag}A0s44we8cw`, `${tag}A0s44we8cwhkzzz`, `${tag}A0s44we8c*0hkzzza@b`, `${tag}A0s44we8cw0hkzZza@b`,
    `${tag}A0s44wE8cw0hkzzza@b`,
    `${tag}B0s44we8cw0hkzzz`, `${tag}B0s44we8cw0hkzzzx:ab`, `${tag}C0s44we8cw0hkzzz{}`, `${tag}a0s44we8cw0hkzzza@b`]) {
    t.equal(decodeRecord(text, parts), null, JSON.stringify(text))
  }
})
