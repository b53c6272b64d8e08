// The default run's report: its tables, its figures in sentences, and the checks against the targets.
import { cpus } from 'node:os'
import type { FullResults } from './full-run.js'
import type { GetexLatency } from './latency.js'
import type { RunMetrics } from './measure.js'
import { checkTable, fmt, median, medianRatio, perRequest, resultsOf, table, type Check } from './report.js'
import { SCENARIO_KEYS, SCENARIOS, SERVICE_PATHS, type ScenarioKey } from './scenarios.js'
import type { Settings } from './settings.js'

type Results = ReturnType<typeof resultsOf<ScenarioKey>>

const READS = ['session', 'me'] as const satisfies readonly ScenarioKey[]
const EXCHANGES = ['post', 'post256'] as const satisfies readonly ScenarioKey[]

/** Share of reads that sent a second command (the last-seen SET), over every round of the path. */
const secondCommandShare = (r: Results, key: ScenarioKey): number =>
  r.of(key).reduce((a, m) => a + (m.sent.set ?? 0), 0) / Math.max(1, r.of(key).reduce((a, m) => a + m.served, 0))

function printRuns (settings: Settings, { started, load0 }: FullResults, r: Results): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`# bc-session-exchanger benchmark, ${started.toISOString()}\n`)
  console.log(`${settings.quick ? 'QUICK run (short, indicative only). ' : ''}Node ${process.version}, ` +
    `${cpus().length} × ${cpu}, load average ${load0.toFixed(2)} at start. autocannon in this process, ` +
    `${settings.connections} connections, ${settings.seconds} s per run, ${settings.rounds} alternating round(s), ` +
    'medians shown; the service and redis-server run in their own processes on the same machine (loopback), ' +
    'request logging off (LOG_LEVEL=warn), rate limits off.\n')

  console.log(table(['path', 'req/s', 'vs /healthz', 'vs bare Fastify', 'p50 ms', 'p99 ms', 'service CPU µs/req',
    'service syscalls/req', 'Redis cmds sent/req', 'Redis cmds run/req', 'Redis CPU µs/req', 'failed'],
  SCENARIO_KEYS.map((key) => [
    SCENARIOS[key].label,
    fmt.int(r.med(key, (m) => m.rps)),
    key === 'bare' ? '—' : fmt.fixed(r.ratio(key, 'healthz')),
    fmt.fixed(r.ratio(key, 'bare')),
    fmt.fixed(r.med(key, (m) => m.p50), 0),
    fmt.fixed(r.med(key, (m) => m.p99), 0),
    fmt.int(r.med(key, (m) => m.cpuUsPerRequest)),
    fmt.fixed(r.med(key, (m) => m.syscallsPerRequest)),
    fmt.fixed(r.med(key, (m) => m.sentPerRequest)),
    fmt.fixed(r.med(key, (m) => m.executedPerRequest)),
    fmt.fixed(r.med(key, (m) => m.redisCpuUsPerRequest), 0),
    String(r.of(key).reduce((a, m) => a + m.failures, 0))
  ])))

  console.log('\nAgainst the stateless anchors, in this run: ' +
    `GET /session at ${fmt.fixed(r.ratio('session', 'jwt'))}× ` +
    `the req/s of a jose verification per request and ${fmt.fixed(r.ratio('session', 'cookie'))}× that of an ` +
    `encrypted cookie; GET /api/me at ${fmt.fixed(r.ratio('me', 'jwt'))}× and ${fmt.fixed(r.ratio('me', 'cookie'))}×.`)

  const exchangeCpu = (key: ScenarioKey): string => fmt.int(r.med(key, (m) => m.cpuUsPerRequest))
  console.log(`\nService CPU per exchange: ${exchangeCpu('post')} µs with HS512 tokens (BigCommerce's), ` +
    `${exchangeCpu('post256')} µs with HS256 tokens (its documentation's form).`)

  console.log('\nRedis commands per answer, by name (last round; "sent": what the service sends, "run": what Redis ' +
    'runs, a script\'s own calls included):\n')
  console.log(table(['path', 'sent', 'run'], SERVICE_PATHS.map((key) => {
    const last = r.of(key).at(-1) as RunMetrics
    return [SCENARIOS[key].label, perRequest(last.sent, last.served), perRequest(last.executed, last.served)]
  })))

  const shares = READS.map((key) => `${SCENARIOS[key].name} ${fmt.fixed(secondCommandShare(r, key) * 100, 3)} %`)
  console.log('\nReads that also recorded the last-seen minute (a SET after the GETEX: the first read of a session ' +
    `in a minute; all rounds): ${shares.join(', ')}.`)
}

function printRedisMemory (settings: Settings, { memory, filledBytes }: FullResults): void {
  const { usedMemory: used, sampled, keysPerExchange: perExchange } = memory
  console.log(`\nRedis memory around ${fmt.int(memory.exchanges)} exchanges of distinct customers ("keys": ` +
    'MEMORY STATS dataset + hash tables, what the keys take; "used_memory": INFO memory, which also moves with ' +
    'client buffers):\n')
  console.log(table(['what', 'bytes per session (keys)', 'bytes per session (used_memory)', 'MEMORY USAGE of one key',
    'keys per exchange'], [
    ['session record + index entry (lives as long as the session)', fmt.int(memory.sessionBytes),
      fmt.int(used.sessionBytes), `record ${sampled.session}, index ${sampled.index}`,
      `${perExchange.session} + ${perExchange.index}`],
    ['replay guard (gone ≤ 17 min after the token\'s iat)', fmt.int(memory.guardBytes), fmt.int(used.guardBytes),
      String(sampled.guard), String(perExchange.guard)],
    ['all keys an exchange leaves', fmt.int(memory.sessionBytes + memory.guardBytes),
      fmt.int(used.sessionBytes + used.guardBytes), '', ''],
    [`session record + index entry, ${fmt.int(settings.bigSessions - settings.pool)} filled sessions`,
      fmt.int(filledBytes), '', '', '']
  ]))
}

function printLatency (settings: Settings, { paired, direct, smallKeys, bigKeys }: FullResults): void {
  const half = Math.max(1, Math.floor(settings.connections / 2))
  console.log(`\nRead latency by sessions in Redis (db 1 holds ${fmt.int(smallKeys)} keys, db 2 ${fmt.int(bigKeys)}; ` +
    `two instances of the service, one per database, loaded at the same time with ${half} connections each, ` +
    `${settings.pairedRounds} rounds; GETEX alone: one at a time, alternating):\n`)
  const sides: Array<[string, RunMetrics[], GetexLatency[]]> = [
    [`GET /session, ${fmt.int(settings.pool)} sessions in Redis`, paired.small, direct.small],
    [`GET /session, ${fmt.int(settings.bigSessions)} sessions in Redis`, paired.big, direct.big]
  ]
  console.log(table(['', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'GETEX alone p50 µs', 'GETEX alone p99 µs'],
    sides.map(([label, runs, d]) => {
      const m = (pick: (r: RunMetrics) => number): number => median(runs.map(pick))
      return [label, fmt.int(m((r) => r.rps)), fmt.fixed(m((r) => r.mean)), fmt.fixed(m((r) => r.p50), 0),
        fmt.fixed(m((r) => r.p99), 0), fmt.int(median(d.map((x) => x.p50))), fmt.int(median(d.map((x) => x.p99)))]
    })))
}

const check = (what: string, measured: string, target: string, ok: boolean): Check => ({ what, measured, target, ok })

function checks (settings: Settings, { memory, paired, rssBefore, rssAfter }: FullResults, r: Results): Check[] {
  const name = (key: ScenarioKey): string => SCENARIOS[key].name
  const vsHealthz = (key: ScenarioKey, target: number): Check => check(`${name(key)} vs /healthz`,
    `${fmt.fixed(r.ratio(key, 'healthz'))}×`, `≥ ${target.toFixed(2)}×`, r.ratio(key, 'healthz') >= target)
  const sent = (key: ScenarioKey): number => r.med(key, (m) => m.sentPerRequest)
  const run = (key: ScenarioKey): number => r.med(key, (m) => m.executedPerRequest)
  const p99 = (key: ScenarioKey): number => r.med(key, (m) => m.p99)
  const latencyRatio = medianRatio(paired.big, paired.small, (m) => m.mean)
  const heapGrowth = rssAfter.heapUsed - rssBefore.heapUsed
  return [
    ...READS.map((key) => vsHealthz(key, 0.5)),
    ...READS.map((key) => check(`${name(key)} Redis commands per read`,
      `${fmt.fixed(sent(key))} sent, ${fmt.fixed(run(key))} run`,
      '1 (≤ 1.05: the last-seen minute adds one in a few % of reads)', sent(key) <= 1.05 && run(key) <= 1.05)),
    ...READS.map((key) => check(`${name(key)} p99 at ${settings.connections} connections`,
      `${fmt.fixed(p99(key), 0)} ms`, '< 15 ms', p99(key) < 15)),
    ...EXCHANGES.map((key) => vsHealthz(key, 0.2)),
    ...READS.map((key) => check(`${name(key)} reads with a second Redis command`,
      `${fmt.fixed(secondCommandShare(r, key) * 100, 3)} %`, '≤ 5 %', secondCommandShare(r, key) <= 0.05)),
    check('Redis bytes per live session (record + index)', fmt.int(memory.sessionBytes), '≤ 450',
      memory.sessionBytes <= 450),
    check(`read latency, ${fmt.int(settings.bigSessions)} vs ${fmt.int(settings.pool)} sessions`,
      `${fmt.fixed(latencyRatio)}× (mean)`, '≤ 1.10×', latencyRatio <= 1.1),
    check('service heap after the rounds (after GC)', `${fmt.mb(heapGrowth)} more`, 'flat (< 10 MB more)',
      heapGrowth < 10 * 1048576)
  ]
}

export function printFullReport (settings: Settings, results: FullResults): void {
  const r = resultsOf(results.runs)
  printRuns(settings, results, r)
  printRedisMemory(settings, results)
  printLatency(settings, results)
  const { rssBefore, rssAfter } = results
  console.log(`\nService memory over the measured rounds (after a GC): RSS ${fmt.mb(rssBefore.rss)} → ` +
    `${fmt.mb(rssAfter.rss)}, heap used ${fmt.mb(rssBefore.heapUsed)} → ${fmt.mb(rssAfter.heapUsed)}.\n`)
  console.log(checkTable(checks(settings, results, r)))
  const failed = SCENARIO_KEYS.filter((key) => r.of(key).some((m) => m.failures > 0 || m.exhausted))
  if (failed.length > 0) {
    const labels = failed.map((key) => SCENARIOS[key].label).join(', ')
    console.log(`\nWARNING: runs with failed answers or too few tokens: ${labels}`)
  }
}
