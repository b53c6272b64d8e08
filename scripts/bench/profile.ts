// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time by package or
// file, and total time (self + callees) of the functions on the read path worth watching.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export interface Share { name: string, ms: number, percent: number }
export interface ProfileSummary { totalMs: number, byPlace: Share[], byFunction: Share[], watched: Share[] }

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

export function summarizeProfile (path: string, watch: readonly string[] = [], top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  // Idle and GC are not the request path's work: left out of the total.
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id))
  let total = 0
  for (const [id, us] of selfUs) if (!idle.has(id)) total += us

  const add = (map: Map<string, number>, key: string, us: number): void => { map.set(key, (map.get(key) ?? 0) + us) }
  const places = new Map<string, number>()
  const functions = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (node === undefined || idle.has(id)) continue
    const { functionName, url, lineNumber } = node.callFrame
    add(places, placeOf(url, functionName), us)
    add(functions, `${functionName || '(anonymous)'} ${placeOf(url, functionName)}:${lineNumber + 1}`, us)
  }

  // Inclusive time of watched function names; a frame inside another watched frame of the same name counts once.
  const inclusive = new Map<number, number>()
  const totalOf = (id: number): number => {
    const known = inclusive.get(id)
    if (known !== undefined) return known
    const node = byId.get(id) as ProfileNode
    const t = (selfUs.get(id) ?? 0) + (node.children ?? []).reduce((a, c) => a + totalOf(c), 0)
    inclusive.set(id, t)
    return t
  }
  const watched = new Map<string, number>()
  const visit = (id: number, inside: ReadonlySet<string>): void => {
    const node = byId.get(id) as ProfileNode
    const name = node.callFrame.functionName
    const hit = watch.includes(name) && !inside.has(name)
    if (hit) add(watched, name, totalOf(id))
    const next = hit ? new Set([...inside, name]) : inside
    for (const c of node.children ?? []) visit(c, next)
  }
  visit(profile.nodes[0]?.id as number, new Set())

  const shares = (map: Map<string, number>, n: number): Share[] => [...map]
    .sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / total }))
  return { totalMs: total / 1000, byPlace: shares(places, top), byFunction: shares(functions, top), watched: shares(watched, watch.length) }
}
