--[[
  record_failure: one more consecutive failure of a webhook; opens its breaker at the threshold, or re-opens it
  for twice as long (up to the max) when the failure was the probe's.
  KEYS: none.
  ARGV: 1 key prefix, 2 webhook id, 3 now (Unix s), 4 threshold, 5 base cool-down (s), 6 max cool-down (s).
  Returns {failures, first failure time (string), opened (0/1)}.
]]
local P = ARGV[1]
--- @include "when_full"
local state, wh, now = P .. ':wh:state:' .. ARGV[2], ARGV[2], tonumber(ARGV[3])
keep_working_when_full()
local failures = redis.call('HINCRBY', state, 'failures', 1)
local first = tonumber(redis.call('HGET', state, 'first_failure_at') or '0')
if first == 0 then first = now; redis.call('HSET', state, 'first_failure_at', now) end
local open_until = tonumber(redis.call('HGET', state, 'open_until') or '0')
local probing = tonumber(redis.call('HGET', state, 'probe_until') or '0') > 0
local opened = 0
if failures >= tonumber(ARGV[4]) and (open_until == 0 or probing) then
  local cooldown = tonumber(ARGV[5])
  if probing then
    cooldown = math.min(tonumber(redis.call('HGET', state, 'cooldown_s') or ARGV[5]) * 2, tonumber(ARGV[6]))
  end
  redis.call('HSET', state, 'open_until', now + cooldown, 'cooldown_s', cooldown, 'opened_at', now, 'probe_until', 0)
  redis.call('ZADD', ARGV[1] .. ':breakers', now + cooldown, wh)
  opened = 1
end
return {failures, tostring(first), opened}
