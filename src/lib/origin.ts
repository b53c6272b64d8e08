// Allow-list entries are exact origins or origins with one leading wildcard label (README, "Cross-site rules").

export interface OriginPattern {
  scheme: 'http' | 'https'
  /** Lower-case host; for a wildcard entry, the part after "*." */
  host: string
  /** Explicit port, or '' for the scheme's default. */
  port: string
  wildcard: boolean
}

const ORIGIN = /^(https?):\/\/(\*\.)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

function split (origin: string): { scheme: 'http' | 'https', wildcard: boolean, host: string, port: string } | null {
  if (origin.length > 255) return null
  const m = ORIGIN.exec(origin)
  if (m === null) return null
  const scheme = m[1] as 'http' | 'https'
  const defaultPort = scheme === 'https' ? '443' : '80'
  const port = m[4] === undefined || m[4] === defaultPort ? '' : String(Number(m[4]))
  return { scheme, wildcard: m[2] !== undefined, host: (m[3] as string).toLowerCase(), port }
}

/** Parses one ALLOWED_ORIGINS entry; null when it is not one. */
export function parseOriginPattern (entry: string): OriginPattern | null {
  const parts = split(entry)
  if (parts === null) return null
  // "*.com" would allow every site of a TLD: a wildcard needs at least two labels after it.
  if (parts.wildcard && parts.host.split('.').length < 2) return null
  return parts
}

/** True when the Origin header value is allowed by one of the patterns. */
export function originAllowed (origin: string | undefined, patterns: readonly OriginPattern[]): boolean {
  if (origin === undefined) return false
  const o = split(origin)
  if (o === null || o.wildcard) return false
  return patterns.some((p) => {
    if (p.scheme !== o.scheme || p.port !== o.port) return false
    if (!p.wildcard) return p.host === o.host
    if (!o.host.endsWith('.' + p.host)) return false
    const label = o.host.slice(0, -(p.host.length + 1))
    return LABEL.test(label)
  })
}
