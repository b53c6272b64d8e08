// npm run bench [-- options]: the service's throughput, cost per request and Redis footprint, measured
// against its own /healthz in the same run (docs/benchmark.md).
import { parseArgs } from 'node:util'
import { compareRun } from './bench/compare.js'
import { withBench } from './bench/context.js'
import { printFullReport } from './bench/full-report.js'
import { fullRun } from './bench/full-run.js'
import { profileRun } from './bench/profile-run.js'
import { oneOf, SERVICE_PATHS, type ServicePathKey } from './bench/scenarios.js'
import { benchSettings, type Settings } from './bench/settings.js'

const USAGE = 'npm run bench -- [--quick] [--seconds S] [--rounds N] [--connections N] [--sessions N] ' +
  `[--profile ${SERVICE_PATHS.join('|')} | --against DIR]`

type Mode = { kind: 'full' } | { kind: 'profile', path: ServicePathKey } | { kind: 'against', dist: string }

/** Every option checked before anything starts: a typo fails at once, not minutes into a run. */
function commandLine (): { settings: Settings, mode: Mode } {
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      sessions: { type: 'string' },
      profile: { type: 'string' },
      against: { type: 'string' }
    }
  })
  const settings = benchSettings(args)
  const { profile, against } = args
  if (profile !== undefined && against !== undefined) throw new Error('--profile and --against do not go together')
  if (profile !== undefined) {
    return { settings, mode: { kind: 'profile', path: oneOf('profile', profile, SERVICE_PATHS) } }
  }
  if (against !== undefined) return { settings, mode: { kind: 'against', dist: against } }
  return { settings, mode: { kind: 'full' } }
}

async function main (): Promise<void> {
  let options: ReturnType<typeof commandLine>
  try {
    options = commandLine()
  } catch (err) {
    console.error(`${(err as Error).message}\nUsage: ${USAGE}`)
    process.exitCode = 2
    return
  }
  const { settings, mode } = options
  await withBench(settings, async (ctx) => {
    if (mode.kind === 'profile') await profileRun(ctx, mode.path)
    else if (mode.kind === 'against') await compareRun(ctx, mode.dist)
    else printFullReport(settings, await fullRun(ctx))
  })
}

main().catch((err: Error) => {
  console.error(err)
  process.exitCode = 1
})
