// Reads the Dockerfile into stages of instructions (continuation lines joined), and runs its HEALTHCHECK.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../support/server-process.js'

export interface Instruction { keyword: string, args: string }
export interface Stage { from: string, name?: string, instructions: Instruction[] }

export function dockerfileStages (text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')): Stage[] {
  const lines =
    text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  const stages: Stage[] = []
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    if (keyword.toUpperCase() === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      stages.push({ from: m?.[1] ?? args, ...(m?.[2] !== undefined && { name: m[2] }), instructions: [] })
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args })
    }
  }
  return stages
}

/** The HEALTHCHECK's exec form, e.g. ["node", "-e", "..."]. */
export function healthcheckCommand (stage: Stage): string[] {
  const healthcheck = stage.instructions.find((i) => i.keyword === 'HEALTHCHECK')
  const json = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck?.args ?? '')?.[1]
  if (json === undefined) throw new Error('no HEALTHCHECK CMD in exec form')
  return JSON.parse(json) as string[]
}

/** Runs the final stage's HEALTHCHECK as Docker would inside the container (PORT from the environment). */
export async function dockerHealthcheck (port: number): Promise<number> {
  const [command = '', ...args] = healthcheckCommand(dockerfileStages().at(-1) as Stage)
  const executable = command === 'node' ? process.execPath : command
  return await new Promise((resolve) => {
    const child = spawn(executable, args,
      { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: 'ignore', timeout: 5000 })
    child.once('exit', (code) => resolve(code ?? -1))
  })
}
