--[[
  requeue: hand work announced by a message of the old, per-item tasks to the drains. An event id goes back on
  the fan-out list (fan-out creates only what is absent, so an event fanned out before is not sent twice); a
  delivery id is appended to its webhook's ready list. Then a drain is kicked.
  KEYS: none.
  ARGV: 1-5 the kick prelude's; 6 'event' or 'delivery'; 7 the id.
  Returns 1.
]]
--- @include "kick"
--- @include "when_full"
--- @include "delivery_id"
local kind, id = ARGV[6], ARGV[7]
keep_working_when_full()
if kind == 'event' then
  redis.call('RPUSH', P .. ':fanout', id)
else
  local wh = webhook_of(id)
  redis.call('RPUSH', P .. ':ready:' .. wh, id)
  ready(wh)
end
kick()
return 1
