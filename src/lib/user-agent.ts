// The browser and OS family of a User-Agent, as one character each: what a session keeps of the
// browser that exchanged it. The raw string is never kept (it narrows a shopper down far more than a
// family does, and "Chrome on Windows" is all a shopper needs to recognise a session).
import Bowser from 'bowser'

export interface AgentCodes {
  /** One character of BROWSERS, or UNKNOWN / OTHER. */
  browser: string
  /** One character of SYSTEMS, or UNKNOWN / OTHER. */
  os: string
}

/** No User-Agent, or one the parser could not read. */
export const UNKNOWN = '_'
/** A family the parser names but this table does not. */
export const OTHER = '0'

// Codes are part of stored session values: a code, once given, keeps its meaning.
const BROWSERS: Record<string, [parserName: string, shown: string]> = {
  c: ['Chrome', 'Chrome'],
  C: ['Chromium', 'Chromium'],
  e: ['Microsoft Edge', 'Edge'],
  s: ['Safari', 'Safari'],
  f: ['Firefox', 'Firefox'],
  o: ['Opera', 'Opera'],
  S: ['Samsung Internet for Android', 'Samsung Internet'],
  y: ['Yandex Browser', 'Yandex Browser'],
  v: ['Vivaldi', 'Vivaldi'],
  b: ['Brave', 'Brave'],
  i: ['Internet Explorer', 'Internet Explorer'],
  u: ['UC Browser', 'UC Browser'],
  d: ['DuckDuckGo', 'DuckDuckGo'],
  a: ['Android Browser', 'Android Browser'],
  w: ['WeChat', 'WeChat'],
  q: ['QQ Browser', 'QQ Browser'],
  n: ['NAVER Whale Browser', 'Whale'],
  m: ['Amazon Silk', 'Silk'],
  E: ['Electron', 'Electron']
}

const SYSTEMS: Record<string, [parserName: string, shown: string]> = {
  w: ['Windows', 'Windows'],
  m: ['macOS', 'macOS'],
  i: ['iOS', 'iOS'],
  a: ['Android', 'Android'],
  l: ['Linux', 'Linux'],
  c: ['Chrome OS', 'ChromeOS'],
  h: ['HarmonyOS', 'HarmonyOS'],
  p: ['Windows Phone', 'Windows Phone']
}

const byParserName = (table: Record<string, [string, string]>): Map<string, string> =>
  new Map(Object.entries(table).map(([code, [name]]) => [name, code]))
const BROWSER_CODES = byParserName(BROWSERS)
const SYSTEM_CODES = byParserName(SYSTEMS)

/** Longer User-Agent strings are not parsed: real ones stay well below, and parsing is linear in the length. */
const MAX_PARSED = 512

const code = (codes: Map<string, string>, name: string | undefined): string =>
  name === undefined || name === '' ? UNKNOWN : codes.get(name) ?? OTHER

export function agentCodes (userAgent: string | undefined): AgentCodes {
  const unparsable = userAgent === undefined || userAgent.trim() === '' || userAgent.length > MAX_PARSED
  if (unparsable) return { browser: UNKNOWN, os: UNKNOWN }
  try {
    const parsed = Bowser.parse(userAgent)
    return { browser: code(BROWSER_CODES, parsed.browser.name), os: code(SYSTEM_CODES, parsed.os.name) }
  } catch {
    return { browser: UNKNOWN, os: UNKNOWN }
  }
}

/** What a listing shows for a code: the family, 'Other', or null when it is not known. */
const shown = (table: Record<string, [string, string]>) => (c: string): string | null =>
  c === OTHER ? 'Other' : table[c]?.[1] ?? null
export const browserName = shown(BROWSERS)
export const osName = shown(SYSTEMS)

/** A character that may stand for a browser or OS in a stored value. */
export const AGENT_CODE = /^[A-Za-z0-9_]$/
