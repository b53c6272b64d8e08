import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

/**
 * Compares a presented secret with the configured one in constant time, whatever their lengths:
 * both are hashed to 32 bytes first, so neither the content nor the length leaks through timing.
 */
export function secretEqual (presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false
  return timingSafeEqual(digest(presented), digest(expected))
}
