// deploy/prometheus/alerts.yml and deploy/grafana/dashboard.json against what the service exports:
// every metric name in every expression is one a running app's /metrics declares.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { build } from '../support/app.js'
import { ROOT } from '../support/server-process.js'

interface Rule {
  alert?: string,
  record?: string,
  expr: string,
  for?: string,
  labels?: Record<string, string>,
  annotations?: Record<string, string>
}
interface Panel { title: string, targets?: Array<{ expr: string }>, panels?: Panel[] }
interface Dashboard {
  uid: string,
  title: string,
  panels: Panel[],
  templating: { list: Array<{ name: string, query?: string | { query: string } }> }
}

const alerts = parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'alerts.yml'),
  'utf8')) as { groups: Array<{ name: string, rules: Rule[] }> }
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'dashboard.json'), 'utf8')) as Dashboard

const KEYWORDS =
  new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
    'inf', 'nan'])

/** The metric names a PromQL expression selects (Grafana's $variables taken as opaque values). */
export function metricNames (expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\w+/g, '') // Grafana variables
  const names: string[] = []
  for (const m of bare.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*/g)) {
    const after = bare.slice((m.index ?? 0) + m[0].length)
    if (/^\s*\(/.test(after)) continue // a function
    if (KEYWORDS.has(m[0].toLowerCase())) continue
    names.push(m[0])
  }
  return names
}

/** Every sample name /metrics can show: counters and gauges by name, histograms with their suffixes. */
async function exportedNames (t: Parameters<typeof build>[0]): Promise<Set<string>> {
  const { app } = await build(t, { redis: 'memory' })
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`)
  const names = new Set<string>()
  for (const [, name = '', type] of res.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix)
    else if (type === 'summary') for (const suffix of ['', '_count', '_sum']) names.add(name + suffix)
    else names.add(name)
  }
  return names
}

const dashboardExprs = (): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  const visit = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const target of p.targets ?? []) out.push([p.title, target.expr])
      visit(p.panels ?? [])
    }
  }
  visit(dashboard.panels)
  for (const v of dashboard.templating.list) {
    const query = typeof v.query === 'string' ? v.query : v.query?.query
    const inner = /^label_values\((\w+)/.exec(query ?? '')?.[1]
    if (inner !== undefined) out.push([`variable ${v.name}`, inner])
  }
  return out
}

t.test('the expression reader finds metric names and nothing else', async (t) => {
  const latency = 'sum by (le, route) (rate(bcx_http_request_duration_seconds_bucket{route=~"/session|/api/.*"}[5m]))'
  t.same(metricNames(`${latency} > 0.25`),
    ['bcx_http_request_duration_seconds_bucket'])
  t.same(metricNames('a_total / on (x) group_left b_total and c > 1e3 unless absent(up)'),
    ['a_total', 'b_total', 'c', 'up'])
  t.same(metricNames('rate(x{instance=~"$instance"}[$__rate_interval]) offset 5m'), ['x'])
})

t.test('the alert rules: well formed, each naming only exported metrics', async (t) => {
  const exported = await exportedNames(t)
  t.ok(exported.has('bcx_exchanges_total') && exported.has('bcx_store_operation_seconds_bucket'),
    'the service\'s own metrics are declared')
  const rules = alerts.groups.flatMap((g) => g.rules)
  t.ok(rules.length >= 6, `${rules.length} rules`)
  const alertNames = rules.map((r) => r.alert)
  t.equal(new Set(alertNames).size, alertNames.length, 'alert names are unique')
  for (const rule of rules) {
    t.match(rule, {
      alert: /^Bcx\w+$/,
      expr: String,
      labels: { severity: /^(critical|warning|info)$/ },
      annotations: { summary: String }
    }, rule.alert ?? '')
    if (rule.for !== undefined) t.match(rule.for, /^\d+[smh]$/)
    const names = metricNames(rule.expr)
    t.ok(names.length > 0, `${rule.alert ?? ''} selects a metric`)
    t.same(names.filter((n) => !exported.has(n)), [], `${rule.alert ?? ''}: every metric is exported`)
  }
  // The alerts docs/operations.md recommends are all there.
  for (const metric of ['bcx_store_operation_seconds_count', 'bcx_store_operation_seconds_bucket',
    'bcx_token_clock_skew_seconds_bucket', 'bcx_exchanges_total', 'bcx_http_request_duration_seconds_bucket']) {
    t.ok(rules.some((r) => metricNames(r.expr).includes(metric)), `an alert on ${metric}`)
  }
})

t.test('the Grafana dashboard: each panel query names only exported metrics', async (t) => {
  const exported = await exportedNames(t)
  t.equal(dashboard.uid, 'bc-session-exchanger')
  const exprs = dashboardExprs()
  t.ok(exprs.length >= 10, `${exprs.length} queries`)
  for (const [where, expr] of exprs) {
    const names = metricNames(expr)
    t.ok(names.length > 0, `${where} selects a metric`)
    t.same(names.filter((n) => !exported.has(n)), [], `${where}: every metric is exported`)
  }
  for (const metric of ['bcx_exchanges_total', 'bcx_sessions_total', 'bcx_token_clock_skew_seconds_bucket',
    'bcx_store_operation_seconds_bucket', 'bcx_http_request_duration_seconds_bucket']) {
    t.ok(exprs.some(([, e]) => metricNames(e).includes(metric)), `a panel for ${metric}`)
  }
})

t.test('a metric the service does not export is caught', async (t) => {
  const exported = await exportedNames(t)
  t.notOk(exported.has('bcx_sessions_active'), 'a plausible name the service does not have')
  t.same(metricNames('sum(bcx_sessions_active) > 0 and up == 0').filter((n) => !exported.has(n)),
    ['bcx_sessions_active', 'up'])
})
