--[[
  acknowledge: once a batch is in the history, in one atomic call: acknowledge and delete its stream entries,
  take its finished deliveries and events off the indexes of work in flight, and count its metrics
  (hooks/metrics/counters.py), so the counters move exactly when the records leave the stream. One call per
  batch (the indexes used to be a second script, forget.lua: a second round trip per batch, and a window in
  which a killed archiver left them to the hourly prune). Runs on a full Redis too (includes/when_full.lua):
  the XDEL and the ZREMs free more than the increments take, and the archiver is what frees Redis of finished
  work.
  A delivery leaves the indexes only if its hash is gone or no longer pending (a replay may have put it back in
  flight meanwhile); an event only if its hash is gone or it is finished (fanned out, no open delivery). The
  hashes themselves expire on their own (HOOKS_FINISHED_TTL_S).
  KEYS: none.
  ARGV: 1 key prefix, 2 the stream, 3 its consumer group, 4 number of entry ids, the entry ids, then the number
        of finished delivery ids and those ids, then the number of finished event ids and those ids, then the
        metric operations, each an opcode and its arguments:
          i key field n      HINCRBY          f key field x    HINCRBYFLOAT
          e key seconds      EXPIRE           z key n member   ZINCRBY
          h key field value  HSET
  Returns how many entries were acknowledged.
]]
local P = ARGV[1]
--- @include "when_full"
--- @include "delivery_id"
local stream, group, n = ARGV[2], ARGV[3], tonumber(ARGV[4])
keep_working_when_full()
local acked = 0
for i = 5, 4 + n, 500 do
  local last = math.min(i + 499, 4 + n)
  acked = acked + redis.call('XACK', stream, group, unpack(ARGV, i, last))
  redis.call('XDEL', stream, unpack(ARGV, i, last))
end
local i = 5 + n
local deliveries = tonumber(ARGV[i])
for k = i + 1, i + deliveries do
  local id = ARGV[k]
  if redis.call('HGET', P .. ':dl:' .. id, 'status') ~= 'pending' then
    redis.call('ZREM', P .. ':dl:all', id)
    redis.call('ZREM', P .. ':dl:by_wh:' .. webhook_of(id), id)
  end
end
i = i + 1 + deliveries
local events = tonumber(ARGV[i])
for k = i + 1, i + events do
  local ev = P .. ':ev:' .. ARGV[k]
  local f = redis.call('HMGET', ev, 'type', 'fanned', 'open')  -- every stored event has a type
  if not f[1] or (f[2] == '1' and tonumber(f[3] or '0') <= 0) then
    redis.call('ZREM', P .. ':ev:all', ARGV[k])
  end
end
i = i + 1 + events
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'i' then
    redis.call('HINCRBY', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'f' then
    redis.call('HINCRBYFLOAT', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'e' then
    redis.call('EXPIRE', ARGV[i + 1], ARGV[i + 2]); i = i + 3
  elseif op == 'z' then
    redis.call('ZINCRBY', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'h' then
    redis.call('HSET', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
  else
    return redis.error_reply('acknowledge: unknown operation ' .. tostring(op))
  end
end
return acked
