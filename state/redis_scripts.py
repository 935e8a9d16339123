"""Lua scripts for the Redis Store. Each runs atomically inside Redis, which is what lets
several bot instances share one Redis without ever taking the same item twice.

Times are epoch seconds passed in from the Store's injected clock, never Redis' own TIME, so
tests with a manual clock see the same behaviour as production.
"""

# Claim due items. KEYS: due zset, items hash, leases hash. ARGV: now, lease_until, limit, tokens...
CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i, id in ipairs(ids) do
  local token = ARGV[3 + i]
  redis.call('ZADD', KEYS[1], ARGV[2], id)
  redis.call('HSET', KEYS[3], id, token)
  table.insert(out, id)
  table.insert(out, redis.call('HGET', KEYS[2], id))
  table.insert(out, token)
end
return out
"""

# Schedule an item unless it exists (queued or parked). KEYS: due, items, leases, parked. ARGV: id, score, json, replace.
SCHEDULE_DUE = """
if ARGV[4] ~= '1' and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
"""

# Finish, retry or park a claimed item, only for the holder of the lease token.
# KEYS: due, items, leases, parked. ARGV: id, token, action ('finish'|'retry'|'park'), json, score.
SETTLE_DUE = """
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
if ARGV[3] == 'finish' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
elseif ARGV[3] == 'retry' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
else
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('SADD', KEYS[4], ARGV[1])
end
return 1
"""

# Remember a key until an expiry time unless it is remembered and unexpired. KEYS: key. ARGV: now, expires_at, gc_ms.
REMEMBER_ONCE = """
local seen = redis.call('GET', KEYS[1])
if seen and tonumber(seen) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""

# Remember a delivery key and queue its item in one step; nothing queued for a replay.
# KEYS: seen key, due, items, leases, parked. ARGV: now, expires_at, gc_ms, id, score, json.
ACCEPT_INBOUND = """
local seen = redis.call('GET', KEYS[1])
if seen and tonumber(seen) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[6])
redis.call('HDEL', KEYS[4], ARGV[4])
redis.call('SREM', KEYS[5], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
return 1
"""

# Read a cached value unless expired. KEYS: key. ARGV: now. Values are 'expires_at|value'.
CACHE_GET = """
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local cut = string.find(raw, '|', 1, true)
if tonumber(string.sub(raw, 1, cut - 1)) <= tonumber(ARGV[1]) then return false end
return string.sub(raw, cut + 1)
"""

# Set a cached value only if absent or expired. KEYS: key. ARGV: now, 'expires_at|value', gc_ms.
CACHE_ADD = """
local raw = redis.call('GET', KEYS[1])
if raw then
  local cut = string.find(raw, '|', 1, true)
  if tonumber(string.sub(raw, 1, cut - 1)) > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""

# Sliding-window send slots, as state/send_slots.py. KEYS: bucket zset. ARGV: now, member, horizon, count1, per1, ...
RESERVE_SEND_SLOT = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
local wait = 0
for i = 4, #ARGV, 2 do
  local count, per = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local recent = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - per), '+inf', 'WITHSCORES')
  local n = #recent / 2
  if n >= count then
    local blocking = tonumber(recent[2 * (n - count + 1)])
    wait = math.max(wait, blocking + per - now)
  end
end
if wait == 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) * 1000) + 60000)
end
return tostring(wait)
"""

# Append to the audit log with the next sequence number. KEYS: counter, list. ARGV: json. Returns seq.
APPEND_AUDIT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
return seq
"""

# Start a lesson unless the group has one running. KEYS: active key, lessons hash, lesson order zset.
# ARGV: lesson id, json, started_at.
START_LESSON = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1
"""
