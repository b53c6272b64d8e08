import { ConfigError } from './config-error.js'

export interface HostPort { host: string, port: number }

/** Parses `host:port,host:port` (Sentinel and Cluster seeds), naming the variable on error. */
export function parseHostPorts (variable: string, value: string): HostPort[] {
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (entries.length === 0) throw new ConfigError(`${variable} is invalid: no host:port given`)
  return entries.map((entry) => {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry)
    const port = Number(m?.[2])
    if (m === null || port < 1 || port > 65535) {
      throw new ConfigError(`${variable} is invalid: "${entry}" is not host:port`)
    }
    return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port }
  })
}
