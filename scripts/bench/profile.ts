// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time by package or
// file and by function, and total time (self + callees) of the service's own functions, found by their
// file rather than by a list of names that would go stale as the code changes.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface Share { name: string, ms: number, percent: number }
export interface ProfileSummary {
  /** Busy time: every sample but idle. */
  totalMs: number
  /** Self time by package, file of ours, Node module or V8 itself. */
  byPlace: Share[]
  /** Self time by function, named with its place and line: ours are the ones in src/. */
  byFunction: Share[]
  /** Total time (self and callees) of our functions: what each step of a request costs, whatever it calls. */
  ours: Share[]
}

/** Where a frame lives: a package, one of our files, a Node internal module, or V8 itself. */
export function placeOf (url: string, functionName: string): string {
  if (url === '') return functionName === '' ? '(native)' : `(${functionName.replace(/^\(|\)$/g, '')})`
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg !== null) return pkg[1] as string
  const ours = /\/(src|scripts)\/(.+)$/.exec(url)
  if (ours !== null) return `${ours[1]}/${ours[2]}`
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/')
  return url
}

/** The service's own code (dist/src when compiled, src under tap); not the benchmark's scripts. */
export const isOurs = (place: string): boolean => place.startsWith('src/')

export function summarizeProfile (path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  // Idle is not the request path's work: left out of the total.
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id))
  let total = 0
  for (const [id, us] of selfUs) if (!idle.has(id)) total += us

  const add = (map: Map<string, number>, key: string, us: number): void => { map.set(key, (map.get(key) ?? 0) + us) }
  const placeOfNode = (node: ProfileNode): string => placeOf(node.callFrame.url, node.callFrame.functionName)
  // V8's own frames have no file: their place is their name.
  const nameOf = (node: ProfileNode): string => node.callFrame.url === ''
    ? placeOfNode(node)
    : `${node.callFrame.functionName || '(anonymous)'} ${placeOfNode(node)}:${node.callFrame.lineNumber + 1}`
  const places = new Map<string, number>()
  const functions = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (node === undefined || idle.has(id)) continue
    add(places, placeOfNode(node), us)
    add(functions, nameOf(node), us)
  }

  // Inclusive time of each of our functions; a frame inside another frame of the same function counts once.
  const inclusive = new Map<number, number>()
  const totalOf = (id: number): number => {
    const known = inclusive.get(id)
    if (known !== undefined) return known
    const node = byId.get(id) as ProfileNode
    const t = (selfUs.get(id) ?? 0) + (node.children ?? []).reduce((a, c) => a + totalOf(c), 0)
    inclusive.set(id, t)
    return t
  }
  const ours = new Map<string, number>()
  const visit = (id: number, inside: ReadonlySet<string>): void => {
    const node = byId.get(id) as ProfileNode
    const name = nameOf(node)
    const counted = isOurs(placeOfNode(node)) && !inside.has(name)
    if (counted) add(ours, name, totalOf(id))
    const next = counted ? new Set([...inside, name]) : inside
    for (const c of node.children ?? []) visit(c, next)
  }
  visit(profile.nodes[0]?.id as number, new Set())

  const shares = (map: Map<string, number>): Share[] => [...map]
    .sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / total }))
  return { totalMs: total / 1000, byPlace: shares(places), byFunction: shares(functions), ours: shares(ours) }
}
