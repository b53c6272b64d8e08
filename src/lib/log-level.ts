import type { LevelWithSilent } from 'pino'

const RANK: Record<LevelWithSilent, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity
}

/** For probe routes (health, metrics): at most `warn`, yet never louder than the configured level. */
export function quietLevel (configured: string): LevelWithSilent {
  const level = configured in RANK ? configured as LevelWithSilent : 'info'
  return RANK[level] > RANK.warn ? level : 'warn'
}
