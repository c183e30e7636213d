--[[
  release_probes: for each breaker whose cool-down is over, schedule its oldest waiting delivery now, as the
  one probe (the drain that takes it marks the breaker half-open).
  KEYS: none.
  ARGV: 1 key prefix, 2 now (Unix s).
  Returns how many probes were released.
]]
local P, now = ARGV[1], ARGV[2]
--- @include "when_full"
local due = redis.call('ZRANGEBYSCORE', P .. ':breakers', '-inf', now, 'LIMIT', 0, 100)
local n = 0
if #due > 0 then keep_working_when_full() end
for _, wh in ipairs(due) do
  local waiting = P .. ':wh:waiting:' .. wh
  local first = redis.call('ZRANGE', waiting, 0, 0)
  if #first > 0 then  -- scheduled first, then taken off the waiting set: a failure between sends it twice at worst
    redis.call('ZADD', P .. ':retry', now, first[1])
    redis.call('ZREM', waiting, first[1])
    n = n + 1
  end
  redis.call('ZREM', P .. ':breakers', wh)
end
return n
