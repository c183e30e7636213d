--[[
  replay: put finished deliveries back in flight, with their ids (so the webhook-id receivers dedupe on) and a
  fresh round of attempts. A delivery pending in Redis, or replayed since the caller read it (its `replays`
  grew), is left as it is: two replays at once act once.
  The event comes back too if it left Redis: its bodies are given from the history.
  KEYS: none.
  ARGV: 1-5 the kick prelude's; 6 retention (s); then per delivery 12 values: delivery id, attempts so far,
        replays so far, created at, last status, last error, event type, stack, branch, channels (comma-joined),
        body, concise body.
  Returns the ids put back in flight.
]]
--- @include "kick"
--- @include "delivery_id"
local ttl, out = ARGV[6], {}
for i = 7, #ARGV, 12 do
  local id = ARGV[i]
  local key = P .. ':dl:' .. id
  local now = redis.call('HMGET', key, 'status', 'replays')
  if now[1] ~= 'pending' and tonumber(now[2] or '0') <= tonumber(ARGV[i + 2]) then
    local ev, wh = event_of(id), webhook_of(id)
    local evkey = P .. ':ev:' .. ev
    if redis.call('EXISTS', evkey) == 0 then
      redis.call('HSET', evkey, 'type', ARGV[i + 6], 'stack', ARGV[i + 7], 'branch', ARGV[i + 8],
                 'channels', ARGV[i + 9], 'body', ARGV[i + 10], 'concise_body', ARGV[i + 11], 'fanned', 1, 'open', 0)
    end
    redis.call('HINCRBY', evkey, 'open', 1)
    redis.call('EXPIRE', evkey, ttl)
    redis.call('ZADD', P .. ':ev:all', 0, ev)
    redis.call('DEL', key)
    redis.call('HSET', key, 'event_id', ev, 'webhook_id', wh, 'status', 'pending', 'attempts', ARGV[i + 1],
               'round_attempts', 0, 'replays', tonumber(ARGV[i + 2]) + 1, 'created_at', ARGV[i + 3],
               'updated_at', NOW, 'last_status', ARGV[i + 4], 'last_error', ARGV[i + 5])
    redis.call('EXPIRE', key, ttl)
    redis.call('ZADD', P .. ':dl:all', 0, id)
    redis.call('ZADD', P .. ':dl:by_wh:' .. wh, 0, id)
    redis.call('ZADD', P .. ':dl:by_ev:' .. ev, 0, id)
    redis.call('EXPIRE', P .. ':dl:by_ev:' .. ev, ttl)
    redis.call('RPUSH', P .. ':ready:' .. wh, id)
    ready(wh)
    out[#out + 1] = id
  end
end
if #out > 0 then kick() end
return out
