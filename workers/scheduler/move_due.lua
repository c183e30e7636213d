--[[
  move_due: claim the retries that are due and append each to its webhook's ready list, then kick a drain.
  Claim and push are one step, so two schedulers never move the same retry; the push comes first and the claim
  last, so a call that fails half-way leaves the retries due (at worst one is pushed twice: sent twice, never
  lost). Runs on a full Redis too (includes/when_full.lua). A delivery id names its webhook
  (includes/delivery_id.lua): the webhook is derived from it. The retry that holds an ordered webhook (take.lua)
  goes to the front of its list instead, and ends the hold.
  KEYS: none.
  ARGV: 1-5 the kick prelude's; 6 the most to move in one call.
  Returns how many moved.
]]
--- @include "kick"
--- @include "when_full"
--- @include "delivery_id"
local retry, HELD = P .. ':retry', P .. ':held'
local due = redis.call('ZRANGEBYSCORE', retry, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[6]))
if #due == 0 then return 0 end
keep_working_when_full()
for _, id in ipairs(due) do
  local wh = webhook_of(id)
  if redis.call('HGET', HELD, wh) == id then  -- it goes first, as it was; the ones behind it follow
    redis.call('HDEL', HELD, wh)
    redis.call('LPUSH', P .. ':ready:' .. wh, id)
    redis.call('ZREM', CAPPED, wh)
  else
    redis.call('RPUSH', P .. ':ready:' .. wh, id)
  end
  ready(wh)
end
for i = 1, #due, 500 do  -- claimed last: a call that fails before leaves them due, not lost
  redis.call('ZREM', retry, unpack(due, i, math.min(i + 499, #due)))
end
kick()
return #due
