import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', '.tap/**'] }),
  {
    // The width of the Fastify codebases; URLs and regular expressions may run longer than a line.
    files: ['src/**', 'scripts/**', 'examples/**', 'test/**'],
    rules: { 'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }] }
  }
]
