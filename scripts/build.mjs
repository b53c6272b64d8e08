#!/usr/bin/env node
// Compiles src/ and scripts/ into dist/ (tsc -p tsconfig.build.json, incremental). With --if-stale it
// first compares every input with dist/.build-stamp and does nothing when none is newer, so
// `npm start`, `npm run token` and `npm run demo` on an unchanged tree start at once.
// Plain JavaScript: it has to run before anything is compiled.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** What the build reads (besides node_modules): a change to any of them makes dist/ stale. */
export const INPUT_DIRS = ['src', 'scripts']
export const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json']
export const STAMP = join('dist', '.build-stamp')
export const BUILD_INFO = join('dist', '.tsbuildinfo')

function newestMtime (path) {
  let stat
  try { stat = statSync(path) } catch { return 0 }
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs // a deleted or renamed file changes its directory's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** True when dist/ was never built here, or an input changed since the last successful build. */
export function isStale (root) {
  let built
  try { built = statSync(join(root, STAMP)).mtimeMs } catch { return true }
  return [...INPUT_DIRS, ...INPUT_FILES].some((input) => newestMtime(join(root, input)) > built)
}

/** Runs the project's own tsc; answers its exit code. The stamp moves only after a clean build. */
export function build (root) {
  mkdirSync(join(root, 'dist'), { recursive: true })
  // Stamped with the time the build started: a file saved while tsc runs still counts as newer.
  const next = join(root, `${STAMP}.next`)
  writeFileSync(next, `${new Date().toISOString()}\n`)
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const args = [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', BUILD_INFO]
  const { status, error } = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
  if (error !== undefined) throw error
  if (status === 0) renameSync(next, join(root, STAMP))
  return status ?? 1
}

function main () {
  const root = process.cwd()
  const ifStale = process.argv.includes('--if-stale')
  if (ifStale && existsSync(join(root, 'dist')) && !isStale(root)) return 0
  if (ifStale) process.stderr.write('Building dist/ (never built here, or a source changed since)...\n')
  return build(root)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main()
