--[[
  when_full: lets a script that keeps work moving run on a full Redis (maxmemory reached, policy noeviction).
  Redis refuses a script's FIRST write that may use more memory when it is full, and never a later one (a
  script cannot stop half-way). The probe below is such a write, caught: when Redis is full it is refused and a
  DEL, which can only free memory, is made first instead, so the rest of the script may write. The drains, the
  scheduler and the breaker thus go on delivering, which frees memory, while publish (whose first write is an
  HSET) is refused with nothing written. (A worker receiving a drain task on a full Redis cannot record it as
  unacknowledged: it runs it untracked, see workers/kombu_patch.py.) Needs P.
    keep_working_when_full()  returns whether Redis is full
]]
local function keep_working_when_full()
  local probe = redis.pcall('SET', P .. ':full-probe', '1', 'PX', 1000)
  if type(probe) == 'table' and probe.err then
    redis.call('DEL', P .. ':no-such-key')
    return true
  end
  redis.call('DEL', P .. ':full-probe')  -- leaves nothing behind
  return false
end
