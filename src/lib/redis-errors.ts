// ioredis errors that mean "Redis did not answer", for errors thrown outside our store (the rate limiter).
const REDIS_ERROR_NAMES = new Set([
  'ReplyError',
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
  'AbortError',
  'RedisDeadlineError'
])
const REDIS_MESSAGES = new RegExp([
  'Command timed out',
  'Connection is closed',
  'Stream isn\'t writeable',
  'enableOfflineQueue',
  'ECONNREFUSED',
  'ECONNRESET',
  'Failed to refresh slots cache',
  'OOM command not allowed',
  'READONLY',
  'LOADING',
  'MASTERDOWN',
  'CLUSTERDOWN'
].join('|'))

export function isRedisError (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  return REDIS_ERROR_NAMES.has(err.name) || REDIS_MESSAGES.test(err.message)
}
