--[[
  release_probes: for each breaker whose cool-down is over, schedule its oldest waiting delivery now, as the
  one probe (the drain that takes it marks the breaker half-open).
  KEYS: none.
  ARGV: 1 key prefix, 2 now (Unix s).
  Returns how many probes were released.
]]
local P, now = ARGV[1], ARGV[2]
local due = redis.call('ZRANGEBYSCORE', P .. ':breakers', '-inf', now, 'LIMIT', 0, 100)
local n = 0
for _, wh in ipairs(due) do
  local waiting = P .. ':wh:waiting:' .. wh
  local first = redis.call('ZRANGE', waiting, 0, 0)
  redis.call('ZREM', P .. ':breakers', wh)
  if #first > 0 then
    redis.call('ZREM', waiting, first[1])
    redis.call('ZADD', P .. ':retry', now, first[1])
    n = n + 1
  end
end
return n
