// The rate-limit key of a client address: an IPv4 address as is, an IPv6 address by its /64 (one
// subscriber usually holds a whole /64, so counting single addresses would not limit anyone).
import { isIPv6 } from 'node:net'

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

const groupsOf = (text: string): string[] =>
  text === '' ? [] : text.split(':').flatMap((g) => g.includes('.') ? ['0', '0'] : [g])

export function addressGroup (ip: string): string {
  const mapped = MAPPED_IPV4.exec(ip)
  if (mapped !== null) return mapped[1] as string
  const bare = ip.split('%')[0] as string
  if (!isIPv6(bare)) return ip
  const gap = bare.indexOf('::')
  const head = groupsOf(gap === -1 ? bare : bare.slice(0, gap))
  const tail = gap === -1 ? [] : groupsOf(bare.slice(gap + 2))
  const groups = gap === -1 ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail]
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`
}
