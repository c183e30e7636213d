--[[
  publish: store events and queue them for fan-out, kicking a drain; all or nothing, one round trip.
  KEYS: none.
  ARGV: 1-5 the kick prelude's; 6 retention (s), 7 idempotency TTL (s); then per event 10 values: event id,
        idempotency key ('' for none), type, stack, branch, channels (comma-joined), timestamp, body, concise body,
        and the version of the type's schema its data was validated against ('' for none: not strict as far as
        the caller knows).
  Returns each event's id, in order (for a repeated idempotency key, the id of the event first published with it).
  When a type's version in {p}:evtype:strict (absent: '') is not the one sent, stores nothing and returns
  'validate' then each such type and its current version (hooks/catalogue/strict.py loads them and calls again).
  On a full Redis (maxmemory, noeviction) its first write is refused, so nothing is written: PublishError.
]]
--- @include "kick"
local ttl, idem_ttl = ARGV[6], ARGV[7]
local N = 10
local STRICT = P .. ':evtype:strict'
-- every type is checked before anything is written: a stale version refuses the whole call
local current, reported, stale = {}, {}, {'validate'}
for i = 8, #ARGV, N do
  local t = ARGV[i + 2]
  local now_version = current[t]
  if now_version == nil then
    now_version = redis.call('HGET', STRICT, t) or ''
    current[t] = now_version
  end
  if now_version ~= ARGV[i + 9] and not reported[t] then
    reported[t] = true
    stale[#stale + 1] = t
    stale[#stale + 1] = now_version
  end
end
if #stale > 1 then return stale end
local out, pushed = {}, 0
for i = 8, #ARGV, N do
  local id, idem = ARGV[i], ARGV[i + 1]
  local first = idem ~= '' and redis.call('GET', P .. ':idem:' .. idem)
  if first then
    out[#out + 1] = first
  else
    local key = P .. ':ev:' .. id
    redis.call('HSET', key, 'type', ARGV[i + 2], 'stack', ARGV[i + 3], 'branch', ARGV[i + 4], 'channels', ARGV[i + 5],
               'timestamp', ARGV[i + 6], 'body', ARGV[i + 7], 'concise_body', ARGV[i + 8])
    redis.call('EXPIRE', key, ttl)
    redis.call('ZADD', P .. ':ev:all', 0, id)  -- events in flight, listed newest first by id (ids sort by time)
    redis.call('RPUSH', P .. ':fanout', id)
    -- the key is remembered last: a call that fails before it leaves nothing that a retry with the same key
    -- would mistake for the stored event (an event hash left alone expires)
    if idem ~= '' then redis.call('SET', P .. ':idem:' .. idem, id, 'EX', idem_ttl) end
    pushed = pushed + 1
    out[#out + 1] = id
  end
end
if pushed > 0 then kick() end
return out
