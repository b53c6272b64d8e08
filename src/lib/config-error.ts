/** A refusal at start-up; its message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}
