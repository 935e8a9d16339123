"""Lua scripts for the Redis Store that stand alone: no due queue, no effects. A cache entry set
only if absent, a lock released only by its owner, the send slots and a lesson's start and end,
each one atomic step across instances. Times and numbers are passed in as in
state/redis_scripts.py (the injected clock's epoch seconds, exact `repr`).
"""

# Set a cache entry only if absent or expired. KEYS: cache hash. ARGV: now, value, expires_at, gc_ms. Returns 1 if set.
CACHE_ADD = """
local expires_at = redis.call('HGET', KEYS[1], 'expires_at')
if expires_at and tonumber(expires_at) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'value', ARGV[2], 'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


# A lock released only by its owner. KEYS: the lock's cache hash. ARGV: owner, now. Returns 1 if it was released.
RELEASE_LOCK = """
local value, expires_at = unpack(redis.call('HMGET', KEYS[1], 'value', 'expires_at'))
if value ~= ARGV[1] or not expires_at or tonumber(expires_at) <= tonumber(ARGV[2]) then return 0 end
return redis.call('DEL', KEYS[1])
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
