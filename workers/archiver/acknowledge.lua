--[[
  acknowledge: once a batch is in the history, in one atomic call: acknowledge and delete its stream entries,
  and count its metrics (hooks/metrics/counters.py), so the counters move exactly when the records leave the
  stream. Runs on a full Redis too (includes/when_full.lua): the XDEL frees more than the increments take, and
  the archiver is what frees Redis of finished work.
  KEYS: none.
  ARGV: 1 key prefix, 2 the stream, 3 its consumer group, 4 number of entry ids, the entry ids, then the metric
        operations, each an opcode and its arguments:
          i key field n      HINCRBY          f key field x    HINCRBYFLOAT
          e key seconds      EXPIRE           z key n member   ZINCRBY
          h key field value  HSET
  Returns how many entries were acknowledged.
]]
local P = ARGV[1]
--- @include "when_full"
local stream, group, n = ARGV[2], ARGV[3], tonumber(ARGV[4])
keep_working_when_full()
local acked = 0
for i = 5, 4 + n, 500 do
  local last = math.min(i + 499, 4 + n)
  acked = acked + redis.call('XACK', stream, group, unpack(ARGV, i, last))
  redis.call('XDEL', stream, unpack(ARGV, i, last))
end
local i = 5 + n
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
