--[[
  recover: the scheduler's safety net for lost drains. Webhooks whose in-flight lane ran out take turns again
  (CAPPED is un-parked here only, so it happens in the same call that puts their leases back: an ordered webhook's
  later deliveries never overtake a dead drain's); deliveries whose lease expired (their drain died) go back to
  the front of their webhook's ready list, oldest first; rated webhooks whose next token is due take turns again
  (the drains' take does it too: this is the fallback when no drain is left); then, if work is waiting, a drain
  is kicked.
  KEYS: none.
  ARGV: 1-5 the kick prelude's; 6 the most leases (and capped, and waiting webhooks) to handle in one call.
  Returns how many deliveries were put back.
]]
--- @include "kick"
--- @include "when_full"
--- @include "delivery_id"
local limit = tonumber(ARGV[6])
keep_working_when_full()
for _, wh in ipairs(redis.call('ZRANGEBYSCORE', CAPPED, '-inf', NOW, 'LIMIT', 0, limit)) do
  uncap(wh)  -- a lane ran out
end
for _, wh in ipairs(redis.call('ZRANGEBYSCORE', RATED_WAIT, '-inf', NOW, 'LIMIT', 0, limit)) do
  unwait(wh)  -- its next token is due
end
local leased = redis.call('ZRANGEBYSCORE', P .. ':leased', '-inf', NOW, 'LIMIT', 0, limit)
for k = #leased, 1, -1 do  -- backwards: each goes to the front, so the oldest ends up first
  local id = leased[k]
  local wh = webhook_of(id)
  redis.call('LPUSH', P .. ':ready:' .. wh, id)
  ready(wh)
end
if #leased > 0 then redis.call('ZREM', P .. ':leased', unpack(leased)) end
if redis.call('LLEN', P .. ':fanout') > 0 or redis.call('ZCARD', P .. ':ready') > 0 then kick() end
return #leased
