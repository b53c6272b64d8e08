// Server-side scripts: each touches the keys of one customer's hash tag only, so it runs whole on one
// Cluster slot (the exchange also reads the store's cutoff, but only where there is one node).
// Undeclared keys are built from KEYS[...] with the same tag.
//
// A customer's index is a sorted set of their session members scored by creation time (ms, the Redis
// node's clock, strictly increasing within the index): its order is the order of the exchanges. The
// token's iat, which revocations by BigCommerce's created_at compare against, is in the session's value
// (record-codec.ts).

/**
 * The token iat of a stored session value (record-codec.ts): an upper-case kind after the 11-character
 * origin tag, then 7 base36 digits. A value written before the iat was kept (lower-case kind) sat in an
 * index scored by its iat, so its score is the iat. Anything unreadable counts as issued before any cutoff.
 */
const TOKEN_IAT = `
local function tokenIat (value, score)
  local kind = string.byte(value, 12)
  if kind == nil then return -math.huge end
  if kind >= 65 and kind <= 90 then return tonumber(string.sub(value, 13, 19), 36) or -math.huge end
  return score
end
`

/**
 * KEYS: guard, customer cutoff, index, new session, and the store cutoff where it shares the node (not
 * on a Cluster, where it lives in another slot and is read after the write instead).
 * ARGV: iat, guard ttl ms, record, session ttl ms, member, max sessions, index ttl ms, session key prefix.
 */
export const EXCHANGE = `
local guardKey = KEYS[1]
local customerCutoffKey = KEYS[2]
local indexKey = KEYS[3]
local sessionKey = KEYS[4]
local storeCutoffKey = KEYS[5]
local iat = tonumber(ARGV[1])
local guardTtlMs = ARGV[2]
local record = ARGV[3]
local sessionTtlMs = ARGV[4]
local member = ARGV[5]
local maxSessions = tonumber(ARGV[6])
local indexTtlMs = tonumber(ARGV[7])
local sessionPrefix = ARGV[8]

-- This very call again (the client resends unanswered commands after a reconnect): it succeeded.
if redis.call('EXISTS', sessionKey) == 1 then return 'created' end
local cut = redis.call('GET', customerCutoffKey)
if cut and iat <= tonumber(cut) then return 'revoked' end
if storeCutoffKey then
  local storeCut = redis.call('GET', storeCutoffKey)
  if storeCut and iat <= tonumber(storeCut) then return 'revoked' end
end
if not redis.call('SET', guardKey, '1', 'NX', 'PX', guardTtlMs) then return 'replayed' end
local entries = redis.call('ZRANGE', indexKey, 0, -1, 'WITHSCORES')
local live = #entries / 2
local newest = 0
if live > 0 then newest = tonumber(entries[#entries]) end
for i = 1, #entries, 2 do
  if redis.call('EXISTS', sessionPrefix .. entries[i]) == 0 then
    redis.call('ZREM', indexKey, entries[i])
    live = live - 1
  end
end
-- The lowest score is the session created longest ago.
while live >= maxSessions do
  local oldest = redis.call('ZPOPMIN', indexKey)
  redis.call('DEL', sessionPrefix .. oldest[1])
  live = live - 1
end
-- Past the newest entry even within one millisecond, so that the index order is the exchange order.
local time = redis.call('TIME')
local createdMs = math.max(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), newest + 1)
redis.call('SET', sessionKey, record, 'PX', sessionTtlMs)
redis.call('ZADD', indexKey, string.format('%.0f', createdMs), member)
if redis.call('PTTL', indexKey) < indexTtlMs then redis.call('PEXPIRE', indexKey, indexTtlMs) end
return 'created'
`

/**
 * KEYS: session, index. ARGV: origin tag ('' for any), member. Returns 1 destroyed, 0 missing, -1 foreign.
 * A stored value begins with its origin tag (record-codec.ts).
 */
export const DESTROY = `
local sessionKey = KEYS[1]
local indexKey = KEYS[2]
local originTag = ARGV[1]
local member = ARGV[2]

local v = redis.call('GET', sessionKey)
if not v then return 0 end
if originTag ~= '' and string.sub(v, 1, #originTag) ~= originTag then return -1 end
redis.call('DEL', sessionKey)
redis.call('ZREM', indexKey, member)
return 1
`

/**
 * KEYS: index, customer cutoff (or the index again when no cutoff is to be kept).
 * ARGV: cutoff s, cutoff ttl ms (0: keep none), session key prefix, which sessions end: 'all' (every
 * live one) or 'issued' (those whose token was issued at or before the cutoff; later ones stay, and a
 * retried webhook delivery changes nothing). Returns how many sessions ended.
 */
export const REVOKE = `${TOKEN_IAT}
local indexKey = KEYS[1]
local cutoffKey = KEYS[2]
local cutoff = tonumber(ARGV[1])
local cutoffTtlMs = tonumber(ARGV[2])
local sessionPrefix = ARGV[3]
local endAll = ARGV[4] == 'all'

if cutoffTtlMs > 0 then
  local cur = redis.call('GET', cutoffKey)
  if (not cur) or tonumber(cur) < cutoff then redis.call('SET', cutoffKey, ARGV[1], 'PX', cutoffTtlMs) end
end
local entries = redis.call('ZRANGE', indexKey, 0, -1, 'WITHSCORES')
local n = 0
for i = 1, #entries, 2 do
  local sessionKey = sessionPrefix .. entries[i]
  local ends = endAll
  if not ends then
    local v = redis.call('GET', sessionKey)
    -- No value: the session expired; its entry goes.
    ends = (not v) or tokenIat(v, tonumber(entries[i + 1])) <= cutoff
  end
  if ends then
    n = n + redis.call('DEL', sessionKey)
    redis.call('ZREM', indexKey, entries[i])
  end
end
return n
`

/** KEYS: store cutoff. ARGV: cutoff s, ttl ms. Keeps the later cutoff. */
export const RAISE_CUTOFF = `
local cutoffKey = KEYS[1]
local cutoff = tonumber(ARGV[1])
local ttlMs = ARGV[2]

local cur = redis.call('GET', cutoffKey)
if (not cur) or tonumber(cur) < cutoff then redis.call('SET', cutoffKey, ARGV[1], 'PX', ttlMs) end
return 1
`

/**
 * KEYS: index. ARGV: session key prefix. The customer's live sessions, oldest first, as
 * member, score (creation ms), value, remaining ttl ms; an entry whose session is gone is left out.
 * Reads only: a listing changes nothing (the exchange and the ends keep the index tidy).
 */
export const LIST = `
local indexKey = KEYS[1]
local sessionPrefix = ARGV[1]

local entries = redis.call('ZRANGE', indexKey, 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #entries, 2 do
  local sessionKey = sessionPrefix .. entries[i]
  local v = redis.call('GET', sessionKey)
  if v then
    local ttl = redis.call('PTTL', sessionKey)
    if ttl > 0 then
      out[#out + 1] = entries[i]
      out[#out + 1] = entries[i + 1]
      out[#out + 1] = v
      out[#out + 1] = ttl
    end
  end
end
return out
`

/**
 * KEYS: index. ARGV: session key prefix, member to keep ('' for none). Ends every other session of the
 * customer with its index entry, in one step: a session exchanged meanwhile is either ended or made
 * after. Returns how many ended.
 */
export const END_SESSIONS = `
local indexKey = KEYS[1]
local sessionPrefix = ARGV[1]
local keep = ARGV[2]

local members = redis.call('ZRANGE', indexKey, 0, -1)
local n = 0
for i = 1, #members do
  if members[i] ~= keep then
    n = n + redis.call('DEL', sessionPrefix .. members[i])
    redis.call('ZREM', indexKey, members[i])
  end
end
return n
`
