// The storefront script as the service serves it: its bytes, a version hash for the URL, and the SRI digest.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface ScriptAsset {
  source: Buffer
  /** Content hash used in `/storefront.js?v=<version>` and the ETag. */
  version: string
  /** The Subresource Integrity value for `<script integrity="...">`. */
  integrity: string
}

// The script is plain JavaScript that tsc does not copy: from src/storefront/ it sits beside this file;
// from dist/src/storefront/ it is read from src/storefront/ of the same package root, which the
// Dockerfile copies and the npm package ships (`files`), so nothing outside the package is read.
const CANDIDATES = ['./bc-session.js', '../../../src/storefront/bc-session.js']

/** `from`: this module's URL (tests pass where the compiled module would be). */
export function scriptPath (from: string = import.meta.url): string {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, from))
    if (existsSync(path)) return path
  }
  throw new Error(`storefront script not found (looked for ${CANDIDATES.join(', ')} next to ${fileURLToPath(from)})`)
}

export function assetOf (source: Buffer): ScriptAsset {
  return {
    source,
    version: createHash('sha256').update(source).digest('hex').slice(0, 16),
    integrity: `sha384-${createHash('sha384').update(source).digest('base64')}`
  }
}

export function loadScriptAsset (path: string = scriptPath()): ScriptAsset {
  return assetOf(readFileSync(path))
}
