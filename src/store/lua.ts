// Server-side scripts: each touches the keys of one customer's hash tag only, so it runs whole on one
// Cluster slot (the exchange also reads the store's cutoff, but only where there is one node).
// Undeclared keys are built from KEYS[...] with the same tag.

/**
 * KEYS: guard, customer cutoff, index, new session, and the store cutoff where it shares the node (not
 * on a Cluster, where it lives in another slot and is read after the write instead).
 * ARGV: iat, guard ttl ms, record, session ttl ms, member, max sessions, index ttl ms, session key prefix.
 */
export const EXCHANGE = `
-- This very call again (the client resends unanswered commands after a reconnect): it succeeded.
if redis.call('EXISTS', KEYS[4]) == 1 then return 'created' end
local cut = redis.call('GET', KEYS[2])
if cut and tonumber(ARGV[1]) <= tonumber(cut) then return 'revoked' end
if KEYS[5] then
  local storeCut = redis.call('GET', KEYS[5])
  if storeCut and tonumber(ARGV[1]) <= tonumber(storeCut) then return 'revoked' end
end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 'replayed' end
local members = redis.call('ZRANGE', KEYS[3], 0, -1)
local live = #members
for _, m in ipairs(members) do
  if redis.call('EXISTS', ARGV[8] .. m) == 0 then
    redis.call('ZREM', KEYS[3], m)
    live = live - 1
  end
end
while live >= tonumber(ARGV[6]) do
  local oldest = redis.call('ZPOPMIN', KEYS[3])
  redis.call('DEL', ARGV[8] .. oldest[1])
  live = live - 1
end
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[5])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[7]) then redis.call('PEXPIRE', KEYS[3], ARGV[7]) end
return 'created'
`

/**
 * KEYS: session, index. ARGV: origin tag ('' for any), member. Returns 1 destroyed, 0 missing, -1 foreign.
 * A stored value begins with its origin tag (record-codec.ts).
 */
export const DESTROY = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if ARGV[1] ~= '' and string.sub(v, 1, #ARGV[1]) ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`

/**
 * KEYS: index, customer cutoff (or the index again when no cutoff is to be kept).
 * ARGV: cutoff s, cutoff ttl ms (0: keep none), session key prefix.
 * Ends the sessions whose token was issued at or before the cutoff; later ones stay (a retried
 * webhook delivery changes nothing).
 */
export const REVOKE = `
if tonumber(ARGV[2]) > 0 then
  local cur = redis.call('GET', KEYS[2])
  if (not cur) or tonumber(cur) < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
end
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = 0
for _, m in ipairs(members) do
  n = n + redis.call('DEL', ARGV[3] .. m)
  redis.call('ZREM', KEYS[1], m)
end
return n
`

/** KEYS: store cutoff. ARGV: cutoff s, ttl ms. Keeps the later cutoff. */
export const RAISE_CUTOFF = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`
