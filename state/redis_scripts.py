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

from state.redis_sha256 import SHA256

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

# Shared: write a decision's effects (state/redis_effects.py builds `spec`): outbox entries once per id, timers armed
# (replacing), timers disarmed, audit records appended, each sealed after the chain's head as
# "seq<TAB>prev<TAB>seal<TAB>record" (state/audit_chain.py). Returns the last audit seq written (0 if none).
_APPLY_EFFECTS = """
local function apply_effects(spec, now)
  for _, m in ipairs(spec.m) do
    if remember(KEYS[m[1]], now, m[6], m[7]) then
      queue_item(KEYS[m[2]], KEYS[m[2] + 1], KEYS[m[2] + 2], KEYS[m[2] + 3], m[3], m[4], m[5], true)
    end
  end
  for _, t in ipairs(spec.t) do
    queue_item(KEYS[t[1]], KEYS[t[1] + 1], KEYS[t[1] + 2], KEYS[t[1] + 3], t[2], t[3], t[4], true)
  end
  for _, d in ipairs(spec.d) do
    redis.call('ZREM', KEYS[d[1]], d[2])
    redis.call('HDEL', KEYS[d[1] + 1], d[2])
    redis.call('HDEL', KEYS[d[1] + 2], d[2])
    redis.call('SREM', KEYS[d[1] + 3], d[2])
  end
  local seq = 0
  if #spec.a > 0 then
    local prev = redis.call('GET', KEYS[spec.head]) or string.rep('0', 64)
    for _, record in ipairs(spec.a) do
      seq = redis.call('INCR', KEYS[spec.seq])
      local sealed = sha256(prev .. '\\n' .. seq .. '\\n' .. record)
      redis.call('RPUSH', KEYS[spec.log], seq .. '\\t' .. prev .. '\\t' .. sealed .. '\\t' .. record)
      prev = sealed
    end
    redis.call('SET', KEYS[spec.head], prev)
  end
  return seq
end
"""

_EFFECTS = _REMEMBER + _QUEUE_ITEM + SHA256 + _APPLY_EFFECTS

# Queue one item. KEYS: due queue (4). ARGV: id, due score, json, replace ('1'|'0'). Returns 1 if written.
SCHEDULE_DUE = _QUEUE_ITEM + """
return queue_item(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1')
"""

# Lease up to `limit` due items, earliest then lowest id, then items leased by a stopped instance. KEYS: due queue (first 3),
# instances hash (holder -> alive until). ARGV: now, lease_until, limit, token base.
# Returns {json, token, json, token, ...}; each token is the base plus the item's position, so tokens differ per item.
CLAIM_DUE = """
local limit = tonumber(ARGV[3])
if limit == 0 then return {} end
local now = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit)
if #ids < limit then  -- then items leased by another instance whose heartbeat stopped (token 'holder/...')
  local me = string.match(ARGV[4], '^(.-)/')
  local leases = redis.call('HGETALL', KEYS[3])
  for i = 1, #leases, 2 do
    if #ids >= limit then break end
    local holder = string.match(leases[i + 1], '^(.-)/')
    local alive = holder and holder ~= me and redis.call('HGET', KEYS[4], holder)
    local score = alive and tonumber(alive) <= now and redis.call('ZSCORE', KEYS[1], leases[i])
    if score and tonumber(score) > now then table.insert(ids, leases[i]) end
  end
end
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

# Make undelivered items due now and unparked, unless in hand (leased, lease not run out). KEYS: due queue (4).
# ARGV: now, ids... Returns how many were redriven.
REDRIVE_DUE = """
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[2], id) == 1 then
    local score = redis.call('ZSCORE', KEYS[1], id)
    local held = redis.call('HEXISTS', KEYS[3], id) == 1 and score and tonumber(score) > tonumber(ARGV[1])
    if not held then
      redis.call('SREM', KEYS[4], id)
      redis.call('ZADD', KEYS[1], ARGV[1], id)
      n = n + 1
    end
  end
end
return n
"""

# A new case and its effects, once per origin (the event that reported it). KEYS: case key, cases-by-received zset,
# origin key, then the effects' keys. ARGV: case json, received score, reference, origin gc ms, spec, now.
# Returns the reference stored for the origin (an earlier one for a retry). Refuses (error) an existing case.
SAVE_CASE = _EFFECTS + """
local existing = redis.call('GET', KEYS[3])
if existing then return existing end
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('ESAFETY case already exists') end
redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
apply_effects(cjson.decode(ARGV[5]), ARGV[6])
return ARGV[3]
"""

# Effects on their own, at most once per key when the spec names one. KEYS: the effects' keys. ARGV: spec, now.
# Returns -1 if the key was seen, else the last audit seq written (0 if none).
COMMIT_EFFECTS = _EFFECTS + """
local spec = cjson.decode(ARGV[1])
if spec.once > 0 and not remember(KEYS[spec.once], ARGV[2], spec.once_until, spec.once_gc) then return -1 end
return apply_effects(spec, ARGV[2])
"""

# Compare-and-set a case, with the effects of the change. KEYS: case key, then the effects' keys.
# ARGV: expected json, new json, spec, now. Returns 1 if replaced (and the effects written), 0 if the case changed meanwhile.
REPLACE_CASE = _EFFECTS + """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
apply_effects(cjson.decode(ARGV[3]), ARGV[4])
return 1
"""

# Remember a delivery key and queue (replace) its item in one step; nothing queued for a replay.
# KEYS: seen key, then the item's due queue (4). ARGV: now, expires_at, gc_ms, id, due score, json.
ACCEPT_INBOUND = _REMEMBER + _QUEUE_ITEM + """
if not remember(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
return queue_item(KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[4], ARGV[5], ARGV[6], true)
"""

# Compare-and-set one hash field, with the effects of the change. KEYS: the hash, then the effects' keys.
# ARGV: field, expected value, new value, spec, now. Returns 1 if replaced (and the effects written).
REPLACE_FIELD = _EFFECTS + """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
apply_effects(cjson.decode(ARGV[4]), ARGV[5])
return 1
"""

# Seal a log written before the chain, a chunk at a time (so Redis is never blocked for long): the next ARGV[1] items move
# from the old log to the new one, sealed; the last chunk renames the new log into place and sets the head. Resumable: the
# progress key holds "seq prev" between chunks. KEYS: log, head, seq counter, anchor, progress, new log.
# Returns {items sealed by this call, 1 when the log is sealed (or was already), else 0}.
SEAL_EXISTING_LOG = SHA256 + """
local progress = redis.call('GET', KEYS[5])
local seq, prev
if progress then
  local at, seal_before = string.match(progress, '^(%d+) (%x+)$')
  seq, prev = tonumber(at), seal_before
else
  local first = redis.call('LINDEX', KEYS[1], 0)
  if redis.call('EXISTS', KEYS[2]) == 1 or not first or string.sub(first, 1, 1) ~= '{' then return {0, 1} end
  local anchor = redis.call('GET', KEYS[4])
  seq, prev = anchor and tonumber(string.match(anchor, '^(%d+)')) or 0, string.rep('0', 64)
end
local items = redis.call('LPOP', KEYS[1], tonumber(ARGV[1])) or {}
for _, record in ipairs(items) do
  seq = seq + 1
  local sealed = sha256(prev .. '\\n' .. seq .. '\\n' .. record)
  redis.call('RPUSH', KEYS[6], seq .. '\\t' .. prev .. '\\t' .. sealed .. '\\t' .. record)
  prev = sealed
end
if redis.call('LLEN', KEYS[1]) > 0 then
  redis.call('SET', KEYS[5], seq .. ' ' .. prev)
  return {#items, 0}
end
if redis.call('EXISTS', KEYS[6]) == 1 then redis.call('RENAME', KEYS[6], KEYS[1]) end
redis.call('SET', KEYS[2], prev)
redis.call('SET', KEYS[3], seq)
redis.call('DEL', KEYS[5])
return {#items, 1}
"""

# Purge: the first ARGV[1] audit items (the last of them must still be ARGV[2]) and the named cases still closed; the
# chain's anchor becomes ARGV[3] ("seq seal"). KEYS: log, anchor, cases zset, then one case key per reference in ARGV[4..].
# Returns the references deleted.
PURGE = """
local k = tonumber(ARGV[1])
if k > 0 then
  if redis.call('LINDEX', KEYS[1], k - 1) ~= ARGV[2] then return redis.error_reply('ESAFETY the audit log changed meanwhile') end
  redis.call('LTRIM', KEYS[1], k, -1)
  redis.call('SET', KEYS[2], ARGV[3])
end
local gone = {}
for i = 4, #KEYS do
  local json = redis.call('GET', KEYS[i])
  if json and cjson.decode(json).state == 'closed' then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[3], ARGV[i])
    table.insert(gone, ARGV[i])
  end
end
return gone
"""
