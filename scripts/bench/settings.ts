// How long, how hard and over how many sessions one run measures: the command line's options over
// the defaults of a full run or of a quick one.

export interface Settings {
  quick: boolean
  /** Length of a measured run. */
  seconds: number
  /** Alternating rounds: every scenario runs once in each. */
  rounds: number
  connections: number
  warmupSeconds: number
  /** Sessions the reads rotate through. */
  pool: number
  /** Exchanges Redis's memory is measured around. */
  memoryExchanges: number
  /** Sessions in the database of the "many sessions" side of the read latency comparison. */
  bigSessions: number
  /** GETEX calls per round of the direct Redis latency. */
  getexOps: number
  /** Rounds of the read latency comparison, both sides loaded at once. */
  pairedRounds: number
}

export interface SettingsOptions {
  quick?: boolean
  seconds?: string
  rounds?: string
  connections?: string
  sessions?: string
}

/** A value the user gave, or the default; refused unless a positive number (a whole one if `whole`). */
function positive (option: string, given: string | undefined, fallback: number, whole = true): number {
  if (given === undefined) return fallback
  const n = Number(given)
  if (!Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n))) {
    throw new Error(`--${option} takes a positive ${whole ? 'whole ' : ''}number, not "${given}"`)
  }
  return n
}

export function benchSettings (o: SettingsOptions): Settings {
  const quick = o.quick === true
  const pool = quick ? 200 : 1000
  const settings: Settings = {
    quick,
    seconds: positive('seconds', o.seconds, quick ? 2 : 8, false),
    rounds: positive('rounds', o.rounds, quick ? 1 : 5),
    connections: positive('connections', o.connections, 50),
    warmupSeconds: quick ? 1 : 3,
    pool,
    memoryExchanges: quick ? 1000 : 5000,
    bigSessions: positive('sessions', o.sessions, quick ? 100_000 : 1_000_000),
    getexOps: quick ? 2000 : 10_000,
    pairedRounds: 5
  }
  // The "many sessions" database holds the read pool and the filled sessions on top of it.
  if (settings.bigSessions <= pool) throw new Error(`--sessions must be more than the read pool (${pool})`)
  return settings
}
