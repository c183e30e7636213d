--[[
  when_full: lets a script that keeps work moving run on a full Redis (maxmemory reached, policy noeviction).
  Redis refuses a script's FIRST write that may use more memory when it is full, and never a later one (a
  script cannot stop half-way: once a script has made any write, Redis 6.2 and 7 let the rest through). So the
  first write is a DEL of a key that never exists: it can only free memory, so it is never refused, and it is
  no change (nothing replicated), so the rest of the script may write. The drains, the scheduler and the
  breaker thus go on delivering, which frees memory, while publish (whose first write is an HSET) is refused
  with nothing written. (A worker receiving a drain task on a full Redis cannot record it as unacknowledged: it
  runs it untracked, see workers/kombu_patch.py.) One command: it runs in every take, so it used to be a SET
  probe (refused only when full) and a DEL, two commands per drain turn for a return value no script read.
  Needs P.
    keep_working_when_full(key)  makes the script's first write, whatever Redis's memory: a DEL of `key` if the
                                 script deletes one anyway (it frees memory too), else of a key that never exists
]]
local function keep_working_when_full(key)
  redis.call('DEL', key or (P .. ':no-such-key'))
end
