--[[
  create_deliveries(ev, whs, budget, ttl): the deliveries of event `ev` to the webhooks `whs`, created if absent
  (at most `budget` new ones) and appended to their webhooks' ready lists. Needs the kick prelude (P, NOW,
  ready). Delivery ids derive from (event, webhook), so a fan-out that runs twice makes nothing twice. The
  indexes of deliveries in flight (all, by webhook, by event) score every id 0: ids sort by the event's time,
  so they are listed newest first by ZREVRANGEBYLEX (hooks/deliveries/query.py).
  Returns (created, complete): complete is false when the budget ran out first.
]]
--- @include "delivery_id"
local function create_deliveries(ev, whs, budget, ttl)
  local by_ev, created = P .. ':dl:by_ev:' .. ev, 0
  for _, wh in ipairs(whs) do
    if created >= budget then return created, false end
    local id = delivery_id(ev, wh)
    local key = P .. ':dl:' .. id
    if redis.call('EXISTS', key) == 0 then
      redis.call('HSET', key, 'event_id', ev, 'webhook_id', wh, 'status', 'pending', 'attempts', 0,
                 'round_attempts', 0, 'created_at', NOW, 'updated_at', NOW)
      redis.call('EXPIRE', key, ttl)
      redis.call('ZADD', P .. ':dl:all', 0, id)
      redis.call('ZADD', P .. ':dl:by_wh:' .. wh, 0, id)
      redis.call('ZADD', by_ev, 0, id)
      redis.call('RPUSH', P .. ':ready:' .. wh, id)
      ready(wh)
      created = created + 1
    end
  end
  if created > 0 then redis.call('EXPIRE', by_ev, ttl) end
  return created, true
end
