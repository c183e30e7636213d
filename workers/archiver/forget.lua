--[[
  forget: once the archiver has written finished records to the history, take them off the indexes of work in
  flight. A delivery goes only if its hash is gone or no longer pending (a replay may have put it back in
  flight meanwhile); an event only if its hash is gone or it is finished (fanned out, no open delivery). The
  hashes themselves expire on their own (HOOKS_FINISHED_TTL_S).
  KEYS: none.
  ARGV: 1 key prefix, 2 number of delivery ids, the delivery ids, then the event ids.
  Returns how many index entries were removed.
]]
--- @include "delivery_id"
local P, n, removed = ARGV[1], tonumber(ARGV[2]), 0
for i = 3, 2 + n do
  local id = ARGV[i]
  local status = redis.call('HGET', P .. ':dl:' .. id, 'status')
  if status ~= 'pending' then
    local wh = webhook_of(id)
    removed = removed + redis.call('ZREM', P .. ':dl:all', id) + redis.call('ZREM', P .. ':dl:by_wh:' .. wh, id)
  end
end
for i = 3 + n, #ARGV do
  local ev = P .. ':ev:' .. ARGV[i]
  local f = redis.call('HMGET', ev, 'fanned', 'open')
  if redis.call('EXISTS', ev) == 0 or (f[1] == '1' and tonumber(f[2] or '0') <= 0) then
    removed = removed + redis.call('ZREM', P .. ':ev:all', ARGV[i])
  end
end
return removed
