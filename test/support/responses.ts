// Judging answers: our error shape, and tallies of status codes for tests that send many requests.
import type { LightMyRequestResponse } from 'fastify'

/** What is wrong with an error answer's shape (Fastify's, with our code), or null; text for property tests. */
export function errorShapeProblem (res: LightMyRequestResponse): string | null {
  let body: unknown
  try {
    body = res.json()
  } catch {
    return `status ${res.statusCode}: body is not JSON: ${res.body.slice(0, 80)}`
  }
  const b = body as Record<string, unknown>
  const keys = Object.keys(b).sort().join(',')
  if (keys !== 'code,error,message,statusCode') return `status ${res.statusCode}: body keys ${keys}`
  if (b.statusCode !== res.statusCode) return `status ${res.statusCode}: body statusCode ${String(b.statusCode)}`
  if (typeof b.code !== 'string' || !/^(BCX|FST)_[A-Z_]+$/.test(b.code)) {
    return `status ${res.statusCode}: code ${String(b.code)}`
  }
  return null
}

/** Tallies values: `{ 201: 10, 503: 4 }` for status codes. */
export function tally<K extends string | number> (values: K[]): Record<K, number> {
  const out = {} as Record<K, number>
  for (const v of values) out[v] = (out[v] ?? 0) + 1
  return out
}
