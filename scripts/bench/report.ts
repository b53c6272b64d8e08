// Medians over rounds, ratios within a round, and the tables the benchmark prints (Markdown).
import { loadavg } from 'node:os'
import type { RunMetrics } from './measure.js'

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Median over rounds of a / b, each ratio taken within one round (both measured minutes apart at most). */
export function medianRatio (
  a: readonly RunMetrics[],
  b: readonly RunMetrics[],
  pick: (m: RunMetrics) => number
): number {
  return median(a.map((m, i) => pick(m) / pick(b[i] as RunMetrics)))
}

/** Medians and ratios of each scenario's rounds, looked up by its id. */
export function resultsOf<Id extends string> (runs: Record<Id, RunMetrics[]>): {
  of: (id: Id) => RunMetrics[]
  med: (id: Id, pick: (m: RunMetrics) => number) => number
  /** Median ratio of req/s, unless `pick` says what else. */
  ratio: (id: Id, base: Id, pick?: (m: RunMetrics) => number) => number
} {
  const of = (id: Id): RunMetrics[] => runs[id]
  return {
    of,
    med: (id, pick) => median(of(id).map(pick)),
    ratio: (id, base, pick = (m) => m.rps) => medianRatio(of(id), of(base), pick)
  }
}

/** The machine's one-minute load average, as the reports print it. */
export const loadAverage = (): string => loadavg()[0]?.toFixed(2) ?? '?'

export const fmt = {
  int: (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a',
  fixed: (n: number, digits = 2) => Number.isFinite(n) ? n.toFixed(digits) : 'n/a',
  mb: (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`
}

export function table (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/** Command names and average counts per answer, e.g. `getex 1.00`. */
export function perRequest (counts: Record<string, number>, requests: number): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1])
  if (entries.length === 0) return '—'
  return entries.map(([name, n]) => `${name} ${(n / Math.max(1, requests)).toFixed(2)}`).join(', ')
}

export interface Check { what: string, measured: string, target: string, ok: boolean }

export const checkTable = (checks: readonly Check[]): string =>
  table(['target', 'measured', 'wanted', ''],
    checks.map((c) => [c.what, c.measured, c.target, c.ok ? 'met' : '**missed**']))
