// A parsed JSON value that is an object (not null, not an array): what every reader of outside JSON checks first.
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
