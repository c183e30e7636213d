--[[
  probe_now: end an open breaker's cool-down now, so that the scheduler sends the oldest waiting delivery as the
  one probe at its next pass (release_probes.lua) and a drain taking the webhook's work probes with it. The
  breaker stays open until that probe answers: a success closes it, a failure re-opens it.
  KEYS: none.
  ARGV: 1 key prefix, 2 now (Unix s), 3 webhook id.
  Returns 1 when the breaker was open or half-open, 0 when it was closed (nothing to probe). While a probe is in
  flight (probe_until > now) it changes nothing: clearing probe_until would let a second probe go out beside it.
]]
local P, now, wh = ARGV[1], ARGV[2], ARGV[3]
local state = P .. ':wh:state:' .. wh
if tonumber(redis.call('HGET', state, 'open_until') or '0') == 0 then return 0 end
if tonumber(redis.call('HGET', state, 'probe_until') or '0') > tonumber(now) then return 1 end
redis.call('HSET', state, 'open_until', now, 'probe_until', 0)
redis.call('ZADD', P .. ':breakers', now, wh)
return 1
