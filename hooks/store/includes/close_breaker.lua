--[[
  close_breaker(wh): close a webhook's circuit breaker and release its waiting deliveries, oldest first, onto
  the retry schedule (due now). Needs P and NOW. Returns how many were released.
]]
local function close_breaker(wh)
  local state, waiting = P .. ':wh:state:' .. wh, P .. ':wh:waiting:' .. wh
  redis.call('DEL', state)
  redis.call('HSET', state, 'last_success_at', NOW)
  redis.call('ZREM', P .. ':breakers', wh)
  local ids = redis.call('ZRANGE', waiting, 0, -1)
  for i = 1, #ids, 500 do
    local args = {}
    for j = i, math.min(i + 499, #ids) do
      args[#args + 1] = NOW + j * 0.000001
      args[#args + 1] = ids[j]
    end
    redis.call('ZADD', P .. ':retry', unpack(args))
  end
  redis.call('DEL', waiting)
  return #ids
end
