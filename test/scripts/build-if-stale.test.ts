// scripts/build.mjs --if-stale, which `npm start`, `npm run token`, `npm run demo` and `npm test` run
// first: it compiles only when an input is newer than the last clean build. Checked by whether tsc ran
// (its outputs and the stamp rewritten or not), never by how long a run took.
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { buildDist, ROOT } from '../support/server-process.js'

// Each tsc run starts a compiler; on a busy two-core machine that can take a minute.
t.setTimeout(10 * 60_000)

const execFileP = promisify(execFile)
const BUILD = join(ROOT, 'scripts', 'build.mjs')
const cleanEnv =
  Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^(TAP|npm_)/i.test(k)))

async function run (file: string, args: string[],
  cwd: string): Promise<{ code: number, stdout: string, stderr: string }> {
  return await execFileP(file, args, { cwd, env: cleanEnv, maxBuffer: 16 * 1024 * 1024, timeout: 5 * 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number, stdout?: string, stderr?: string }) =>
      ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' })
  )
}

const mtime = (path: string): number => statSync(path).mtimeMs

t.test('a scratch project: built once, then left alone until a source changes', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bcx-build-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'src'))
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n')
  const compilerOptions = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    types: [],
    outDir: 'dist',
    rootDir: '.'
  }
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions }))
  writeFileSync(join(root, 'tsconfig.build.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src'] }))
  writeFileSync(join(root, 'src', 'a.ts'), 'export const a: number = 1\n')
  const build = async (): Promise<{ code: number, stdout: string, stderr: string }> =>
    await run(process.execPath, [BUILD, '--if-stale'], root)
  const stamp = join(root, 'dist', '.build-stamp')
  const output = join(root, 'dist', 'src', 'a.js')

  const first = await build()
  t.equal(first.code, 0, first.stderr)
  t.match(first.stderr, /Building dist/, 'never built: it builds')
  t.ok(existsSync(output), 'dist/src/a.js')
  t.ok(existsSync(stamp), 'the stamp')

  // Outputs and stamp pushed into the past: any rewrite would give them a new mtime.
  const past = new Date(Date.now() - 3_600_000)
  for (const f of [stamp, output, join(root, 'dist', '.tsbuildinfo'), join(root, 'src', 'a.ts'), join(root, 'src'),
    join(root, 'package.json'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')]) {
    utimesSync(f, past,
      new Date(past.getTime() - 60_000))
  }
  utimesSync(stamp, past, past)
  const before = [mtime(stamp), mtime(output)]
  const second = await build()
  t.equal(second.code, 0)
  t.equal(second.stderr, '', 'nothing to say')
  t.same([mtime(stamp), mtime(output)], before, 'unchanged tree: tsc did not run')

  writeFileSync(join(root, 'src', 'a.ts'), 'export const a: number = 2\n')
  const third = await build()
  t.equal(third.code, 0, third.stderr)
  t.match(third.stderr, /Building dist/, 'a source newer than the stamp: it builds')
  t.ok(mtime(stamp) > before[0]!, 'the stamp moved')

  writeFileSync(join(root, 'src', 'b.ts'), 'export const b: number = "not a number"\n')
  const broken = await build()
  t.not(broken.code, 0, 'a type error fails the build')
  t.match(broken.stdout + broken.stderr, /TS2322/)
  const afterBroken = await build()
  t.not(afterBroken.code, 0, 'and the next run tries again: the stamp did not move past the broken source')
})

t.test('this repository: a second `npm run token -- --help` does not compile', async (t) => {
  await buildDist()
  const stamp = join(ROOT, 'dist', '.build-stamp')
  const buildInfo = join(ROOT, 'dist', '.tsbuildinfo')
  t.ok(existsSync(stamp), 'dist/ was built by scripts/build.mjs')
  const before = [mtime(stamp), mtime(buildInfo)]
  const help = await run('npm', ['run', '--silent', 'token', '--', '--help'], ROOT)
  t.equal(help.code, 0, help.stderr)
  t.match(help.stdout, /--customer-id/, 'the usage')
  t.notMatch(help.stderr, /Building dist/)
  t.same([mtime(stamp), mtime(buildInfo)], before, 'neither the stamp nor tsc\'s build info was rewritten')
})
