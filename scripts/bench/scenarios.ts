// The paths the benchmark loads, each under a key: the service's own and the anchors it is set against.
// The keys are what --profile takes and what the reports look results up by.
import type { Redis } from 'ioredis'
import type { AcceptedAlgorithm } from '../../src/token/verify-token.js'
import type { AnchorMode } from './anchors.js'
import type { BenchContext } from './context.js'
import type { Load } from './load.js'
import type { BenchService } from './service.js'
import { BENCH, exchangeHeaders, mintTokens } from './sessions.js'

// As the storefront script sends them: without X-CSRF a read is refused before any Redis command.
const READ_HEADERS = { origin: BENCH.origin, 'x-csrf': '1' }

/** What the loads are made of in one run. */
export interface LoadInputs {
  /** Session cookies of the service the path runs on. */
  pool: readonly string[]
  /** Cookies of the secure-session anchor. */
  anchorPool: readonly string[]
  /** Tokens per run of the jose anchor: as many as the pool has sessions. */
  poolSize: number
  /** Length of a measured run: an exchange needs a token of its own per request. */
  seconds: number
  tokens: BenchContext['tokens']
}

export function loadInputs (
  ctx: BenchContext,
  pool: readonly string[],
  anchorPool: readonly string[] = []
): LoadInputs {
  return { pool, anchorPool, poolSize: ctx.settings.pool, seconds: ctx.settings.seconds, tokens: ctx.tokens }
}

interface ScenarioDef {
  /** As a table's row names it. */
  label: string
  /** As a sentence or a check names it. */
  name: string
  /** The service, or one of the anchors (anchors.ts). */
  runsOn: 'service' | AnchorMode
  /** The load of one run; `expectedRps`, the best rate seen so far, sizes what a run uses up. */
  load (inputs: LoadInputs, expectedRps: number): Promise<Load>
}

type OwnPath = ScenarioDef & { runsOn: 'service' }

/** An authenticated read, rotating through the pool's cookies. */
const read = (path: string): OwnPath => ({
  label: `GET ${path}`,
  name: `GET ${path}`,
  runsOn: 'service',
  load: async ({ pool }) => ({ path, headers: READ_HEADERS, cookies: pool })
})

/** Exchanges: distinct fresh tokens, enough for the run at the rate seen so far, with room. */
const exchange = (alg: AcceptedAlgorithm): OwnPath => ({
  label: `POST /session (exchange, ${alg})`,
  name: `POST /session (${alg})`,
  runsOn: 'service',
  async load (inputs, expectedRps) {
    // A run that uses them up is flagged (it ends in replays, 409): the warm-up rate is a low estimate.
    const count = Math.ceil(Math.max(expectedRps * 3, 1000) * inputs.seconds)
    const bodies = (await inputs.tokens(count, alg)).map((token) => JSON.stringify({ token }))
    return { method: 'POST', path: '/session', headers: exchangeHeaders, bodies }
  }
})

const HEALTHZ: Load = { path: '/healthz' }

/** In the order of the report's rows. */
export const SCENARIOS = {
  bare: { label: 'bare Fastify route (anchor)', name: 'bare Fastify', runsOn: 'bare', load: async () => HEALTHZ },
  jwt: {
    label: 'jose HS512 verify per request (anchor)',
    name: 'jose verification',
    runsOn: 'jwt',
    // Fresh tokens each run: they must not expire during it.
    load: async ({ poolSize }) => ({
      path: '/whoami',
      rotateHeader: 'authorization',
      cookies: (await mintTokens(poolSize, 1)).map((t) => `Bearer ${t}`)
    })
  },
  cookie: {
    label: 'stateless encrypted cookie, @fastify/secure-session (anchor)',
    name: 'encrypted cookie',
    runsOn: 'secure-session',
    load: async ({ anchorPool }) => ({ path: '/whoami', cookies: anchorPool })
  },
  healthz: { label: 'GET /healthz (baseline)', name: 'GET /healthz', runsOn: 'service', load: async () => HEALTHZ },
  session: read('/session'),
  me: read('/api/me'),
  post: exchange('HS512'),
  post256: exchange('HS256')
} as const satisfies Record<string, ScenarioDef>

export type ScenarioKey = keyof typeof SCENARIOS
/** The keys of the service's own paths: what --profile takes. */
export type ServicePathKey = {
  [K in ScenarioKey]: (typeof SCENARIOS)[K]['runsOn'] extends 'service' ? K : never
}[ScenarioKey]

export const SCENARIO_KEYS = Object.keys(SCENARIOS) as ScenarioKey[]
export const SERVICE_PATHS = SCENARIO_KEYS.filter((k): k is ServicePathKey => SCENARIOS[k].runsOn === 'service')

/** `value` if it is one of `allowed`; otherwise an error that lists them. */
export function oneOf<K extends string> (option: string, value: string, allowed: readonly K[]): K {
  const found = allowed.find((k) => k === value)
  if (found === undefined) throw new Error(`--${option} takes one of ${allowed.join(', ')}, not "${value}"`)
  return found
}

/** A scenario bound to the processes it runs on in one run. */
export interface Scenario<Id extends string = string> {
  id: Id
  label: string
  service: BenchService
  redis: Redis
  load: (expectedRps: number) => Promise<Load>
}

export interface ScenarioTarget { service: BenchService, redis: Redis, inputs: LoadInputs }

export function bindScenario<Id extends string> (
  id: Id,
  key: ScenarioKey,
  on: ScenarioTarget,
  label: string = SCENARIOS[key].label
): Scenario<Id> {
  const def: ScenarioDef = SCENARIOS[key]
  return { id, label, service: on.service, redis: on.redis, load: async (rps) => await def.load(on.inputs, rps) }
}
