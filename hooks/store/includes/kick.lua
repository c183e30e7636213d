--[[
  kick: the prelude of every script that makes work ready. Include it first.

  Its named options (hooks/store/kick.py `kick_options` builds them; ARGV[1..5]): the key prefix, now (Unix s),
  max drains, the lease of a queued drain (s), the queue drains are sent to; a script's own arguments follow.
  Defines P, NOW, DRAINS, IDLE, WAKE, CAPPED, RATED_WAIT and:
    ready(wh)  a webhook with deliveries ready takes its turn, unless it is at its in-flight cap: then it waits
               in CAPPED and comes back when a lane is released (the drain's settle) or runs out (recover), or
               it waits for a token (rated, in RATED_WAIT): then it comes back when the token is due (take)
    uncap(wh)  a lane of wh was released: it takes turns again if it has work
    unwait(wh) a rated wh's next token is due: it takes turns again if it has work
    kick()     wake an idle drain if there is one (unless a wake-up is already on its way: WOKEN, cleared by the
               next take, which fans out every event queued before it; or each idle drain has one), else start a
               drain task (a Celery message pushed on the queue, written from the template below) while fewer
               than MAX_DRAINS exist; returns 1 if started
  Making work ready and making sure someone will take it happen in one atomic step, so no work waits unseen.
]]
--- @options prefix now max_drains queued_lease queue
local P, NOW = O.prefix, tonumber(O.now)
local MAX_DRAINS, QUEUED_LEASE, QUEUE = tonumber(O.max_drains), tonumber(O.queued_lease), O.queue
-- the drain task's message (hooks/store/drain_message.py), part of the source: sending its kilobyte with every
-- publish measurably cost publish_event
local TEMPLATE = [==[@@DRAIN_MESSAGE@@]==]
local DRAINS, IDLE, WAKE, WOKEN = P .. ':drains', P .. ':drains:idle', P .. ':drains:wake', P .. ':drains:woken'
local CAPPED, RATED_WAIT = P .. ':capped', P .. ':rated_wait'

local function ready(wh)
  if not (redis.call('ZSCORE', CAPPED, wh) or redis.call('ZSCORE', RATED_WAIT, wh)) then
    redis.call('ZADD', P .. ':ready', 'NX', NOW, wh)
  end
end

local function uncap(wh)
  if redis.call('ZREM', CAPPED, wh) == 1 and redis.call('EXISTS', P .. ':ready:' .. wh) == 1 then ready(wh) end
end

local function unwait(wh)
  if redis.call('ZREM', RATED_WAIT, wh) == 1 and redis.call('EXISTS', P .. ':ready:' .. wh) == 1 then ready(wh) end
end

local function kick()
  redis.call('ZREMRANGEBYSCORE', IDLE, '-inf', NOW)
  local idle = redis.call('ZCARD', IDLE)
  if idle > 0 then
    -- at most one wake-up per idle drain: a wake-up left over when every idle drain has one is popped later by a
    -- drain that finds nothing (an empty take); one already waiting guarantees a take after this script
    -- and none while one is on its way (woken, its take not yet run): that take fans out every event queued before
    -- it and takes their deliveries, kicking again if a whole batch is left. Without this, each of several
    -- producers' publishes woke a drain of its own for one event (a take per delivery, 4 threads: +11% script
    -- calls). WOKEN's expiry bounds the wait if the woken drain died before its take (idle drains poll anyway).
    if redis.call('SET', WOKEN, '1', 'PX', 1000, 'NX') and redis.call('LLEN', WAKE) < idle then
      redis.call('RPUSH', WAKE, '1')
    end
    return 0
  end
  redis.call('ZREMRANGEBYSCORE', DRAINS, '-inf', NOW)
  if redis.call('ZCARD', DRAINS) >= MAX_DRAINS then return 0 end
  local token = 'drain.' .. redis.call('INCR', P .. ':seq')
  redis.call('ZADD', DRAINS, NOW + QUEUED_LEASE, token)
  local msg = string.gsub(TEMPLATE, '@@TASK_ID@@', token)
  msg = string.gsub(msg, '@@ARG@@', token)
  redis.call('LPUSH', QUEUE, msg)
  return 1
end
