"""Lua scripts for the Redis Store. Each runs atomically inside Redis, which is what lets
several bot instances share one Redis without ever taking the same item twice.

Times are epoch seconds passed in from the Store's injected clock, never Redis' own TIME, so
tests with a manual clock see the same behaviour as production. Numbers go in as Python's
exact `repr` and floats come back as `%.17g` strings: Lua's own `tostring` keeps only 14
digits, which would move a window edge by a fraction of a millisecond.

A due queue is four keys, always passed in this order: the due-time zset (queued, not parked;
a claim re-scores its items to the lease end), the items hash (id -> JSON, queued or parked),
the leases hash (id -> token of the current claim) and the parked set.
"""

# Shared: put one item in a due queue (unless it exists and not `replace`), clearing lease and parked mark; 1 if written.
_QUEUE_ITEM = """
local function queue_item(by_time, items, leases, parked, id, score, json, replace)
  if not replace and redis.call('HEXISTS', items, id) == 1 then return 0 end
  redis.call('HSET', items, id, json)
  redis.call('HDEL', leases, id)
  redis.call('SREM', parked, id)
  redis.call('ZADD', by_time, score, id)
  return 1
end
"""

# Shared: remember `key` until `expires_at` unless it is remembered past `now` (an expired entry counts as absent).
_REMEMBER = """
local function remember(key, now, expires_at, gc_ms)
  local seen = redis.call('GET', key)
  if seen and tonumber(seen) > tonumber(now) then return false end
  redis.call('SET', key, expires_at, 'PX', gc_ms)
  return true
end
"""

# Shared: stop unless ARGV[2] is the lease token of item ARGV[1] (KEYS[3] = leases hash); then drop the lease.
_OWN_LEASE = """
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
"""

# Queue one item. KEYS: due queue (4). ARGV: id, due score, json, replace ('1'|'0'). Returns 1 if written.
SCHEDULE_DUE = _QUEUE_ITEM + """
return queue_item(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1')
"""

# Lease up to `limit` due items, earliest then lowest id. KEYS: due queue (first 3). ARGV: now, lease_until, limit, token base.
# Returns {json, token, json, token, ...}; each token is the base plus the item's position, so tokens differ per item.
CLAIM_DUE = """
local limit = tonumber(ARGV[3])
if limit == 0 then return {} end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit)
local out = {}
for i, id in ipairs(ids) do
  local json = redis.call('HGET', KEYS[2], id)
  if json then
    local token = ARGV[4] .. ':' .. i
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    redis.call('HSET', KEYS[3], id, token)
    table.insert(out, json)
    table.insert(out, token)
  else
    redis.call('ZREM', KEYS[1], id)  -- a stray id with no item would otherwise jam every claim
  end
end
return out
"""

# Finish a claimed item: remove it. KEYS: due queue (4). ARGV: id, token. Returns 0 if the lease is not ours.
FINISH_DUE = _OWN_LEASE + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

# Give a claimed item back for later. KEYS: due queue (4). ARGV: id, token, new json, new due score.
RETRY_DUE = _OWN_LEASE + """
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return 1
"""

# Park a claimed item: out of the due set, kept (with its error) in items and the parked set. KEYS: due queue (4). ARGV: id, token, json.
PARK_DUE = _OWN_LEASE + """
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 1
"""

# A new case and its due items together. KEYS: case key, cases-by-received zset, then a due queue (4) per item.
# ARGV: case json, received score, reference, then id, due score, json per item. Refuses (error) an existing case.
SAVE_CASE = _QUEUE_ITEM + """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('ESAFETY case already exists') end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
for i = 0, (#KEYS - 2) / 4 - 1 do
  local k, a = 3 + 4 * i, 4 + 3 * i
  queue_item(KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a], ARGV[a + 1], ARGV[a + 2], false)
end
return 1
"""

# Remember a key unless seen and unexpired. KEYS: seen key. ARGV: now, expires_at, gc_ms. Returns 1 the first time.
REMEMBER_ONCE = _REMEMBER + """
if remember(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 1 end
return 0
"""

# Remember a delivery key and queue (replace) its item in one step; nothing queued for a replay.
# KEYS: seen key, then the item's due queue (4). ARGV: now, expires_at, gc_ms, id, due score, json.
ACCEPT_INBOUND = _REMEMBER + _QUEUE_ITEM + """
if not remember(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
return queue_item(KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[4], ARGV[5], ARGV[6], true)
"""

# Set a cache entry only if absent or expired. KEYS: cache hash. ARGV: now, value, expires_at, gc_ms. Returns 1 if set.
CACHE_ADD = """
local expires_at = redis.call('HGET', KEYS[1], 'expires_at')
if expires_at and tonumber(expires_at) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'value', ARGV[2], 'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""

# Sliding-window send slots, exactly as state/send_slots.seconds_until_free. KEYS: bucket zset (member -> send time).
# ARGV: now, unique member, horizon (largest window), gc_ms, then count, per for each window. Returns the wait as a string.
RESERVE_SEND_SLOT = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[3])
local sent = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local wait = 0
for i = 5, #ARGV, 2 do
  local count, per = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local recent = {}
  for j = 2, #sent, 2 do
    local at = tonumber(sent[j])
    if at > now - per then table.insert(recent, at) end
  end
  if #recent >= count then
    wait = math.max(wait, recent[#recent - count + 1] + per - now)
  end
end
if wait == 0 then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return string.format('%.17g', wait)
"""

# Append to the audit log with the next sequence number (seq n sits at list index n-1). KEYS: counter, list. ARGV: json.
APPEND_AUDIT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
return seq
"""

# Open a lesson unless its id exists or its group has one running. KEYS: group's active key, lessons hash, lessons-by-start zset.
# ARGV: lesson id, json, started score. Returns 1 if opened.
START_LESSON = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1
"""

# Update a known lesson; an ended one frees its group, a running one holds it. KEYS: lessons hash, group's active key.
# ARGV: lesson id, json, ended ('1'|'0'). Unknown lesson: no-op. Running while another lesson holds the group: error, no write.
SAVE_LESSON = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local active = redis.call('GET', KEYS[2])
if ARGV[3] == '1' then
  if active == ARGV[1] then redis.call('DEL', KEYS[2]) end
elseif not active then
  redis.call('SET', KEYS[2], ARGV[1])
elseif active ~= ARGV[1] then
  return redis.error_reply('ESAFETY another lesson is running in this group')
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

# Compare-and-set one hash field. KEYS: the hash. ARGV: field, expected value, new value. Returns 1 if replaced.
REPLACE_FIELD = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""
