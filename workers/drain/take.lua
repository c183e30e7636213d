--[[
  take: one turn of a drain (workers/drain/drain.py), in one call: settle the previous batch, fan out waiting
  events, then hand out one webhook's batch with everything needed to send it.
  KEYS: none.
  Options (by name, hooks/store/scripts.py; workers/drain/drain.py `Drain._take` passes them): the kick prelude's;
        token (the drain's), lease (s), cap (in-flight per webhook), batch (size), budget (deliveries one call's
        fan-out may create), retention (s), finished_ttl (how long a finished delivery or event stays readable,
        s), mode ('take', 'exit': take, or end if there is nothing, or 'end': hand over, the slice is over);
        then the previous batch (workers/drain/batch.py `Settled.options`): previous (its webhook id, '' for
        none), succeeded (whether its last attempt did, '1'/'0'), history (its history records, a JSON array, ''
        for none), records (their number).
  ARGV: after the options (`Settled.tail`), each record as workers/attempt/record.py `Record.args` gives it (id,
        retry due, finishes '1'/'0', number of fields, field/value...), then the number of ids it gives back, the
        ids.
  Settling writes the records (new state, retry entry, finished deliveries and events: includes/history.lua),
  appends the history records to the stream for the archiver, releases the leases and the lane, and puts
  given-back ids at the front of the webhook's list. An ordered webhook (`ordered: true`) has one lane and no
  breaker parking: a delivery of it that fails with a retry holds it (HELD; out of the turns, in CAPPED until the
  retry is due) until the scheduler puts that delivery back at the front of its list (move_due.lua). Its lane
  running out means its drain died (or overran its lease) holding deliveries: while an expired lease is left, it
  waits in CAPPED for recover.lua, which puts them back at the front in the same call that un-parks it, so no
  later delivery overtakes them.
  A rated webhook (`rate_limit_per_s`, in RATES) is given at most the tokens of its bucket (refilled here by the
  time elapsed on Redis's clock, up to a burst of BURST_S seconds' worth, at least one); out of tokens, it waits in
  RATED_WAIT (not CAPPED: only recover.lua un-parks those, with the leases of a dead drain) until the next one is
  due (no attempt spent), and every take first puts back the waiting webhooks that are due, so a working drain
  serves it on time; an idle drain (the one holding WAKER) sleeps only until then, the others poll, and the
  scheduler's recover is the fallback when no drain is left. Given-back ids get their tokens back. Fanning out resolves each waiting event (resolve_webhooks),
  keeps the webhooks whose payload filter passes its body (includes/filter.lua: the ones filtered out are listed
  in the event's `filtered` field, their number in `filtered_count`) and creates its deliveries
  (create_deliveries), within the budget; it takes an event off the fan-out list
  only once its deliveries exist, so a call that fails half-way leaves it there.
  Returns {'deliver', webhook id, failures, webhook JSON, ids, delivery hashes, {body, concise body} per id}
        | {'fanned'} | {'idle'} | {'idle', seconds until a rated webhook's token is due (this drain wakes then)}
        | {'ended'}.
]]
--- @include "kick"
--- @options token lease cap batch budget retention finished_ttl mode previous succeeded history records
local token, lease, cap = O.token, tonumber(O.lease), tonumber(O.cap)
local batch, budget, ttl, FINISHED_TTL = tonumber(O.batch), tonumber(O.budget), O.retention, tonumber(O.finished_ttl)
local mode = O.mode
local READY, FANOUT = P .. ':ready', P .. ':fanout'
local ORDERED, HELD, RETRY, LEASED = P .. ':ordered', P .. ':held', P .. ':retry', P .. ':leased'
local webhook_prefix = P .. ':wh:'
local RATES, WAKER = P .. ':rates', P .. ':capped:waker'
local BURST_S = 0.25  -- a rated webhook's bucket holds this many seconds of its rate (at least one token)
local MIN_WAIT_S = 0.01  -- out of tokens: it waits at least this long (a take then gets several at high rates)
local MAX_FILTERED = 100  -- webhook ids kept on an event as filtered out (the count is kept whole)
local IDLE_POLL_S = 0.25  -- workers/drain/drain.py's _WAKE_POLL_S: how often an idle drain calls anyway
--- @include "resolve_webhooks"
--- @include "filter"
--- @include "create_deliveries"
--- @include "close_breaker"
--- @include "history"
--- @include "delivery_id"
--- @include "when_full"

local function lease_all(key, ids)
  local args = {}
  for _, id in ipairs(ids) do args[#args + 1] = NOW + lease; args[#args + 1] = id end
  redis.call('ZADD', key, unpack(args))
end
local function park(wh, list)
  local ids = redis.call('LRANGE', list, 0, -1)
  local args = {}
  for i, id in ipairs(ids) do
    args[#args + 1] = NOW + i * 0.000001
    args[#args + 1] = id
    if redis.call('EXISTS', P .. ':dl:' .. id) == 1 then
      redis.call('HSET', P .. ':dl:' .. id, 'next_attempt_at', '', 'reason', 'breaker_open')
    end
    if #args >= 1000 then redis.call('ZADD', P .. ':wh:waiting:' .. wh, unpack(args)); args = {} end
  end
  if #args > 0 then redis.call('ZADD', P .. ':wh:waiting:' .. wh, unpack(args)) end
  redis.call('DEL', list)
  redis.call('ZREM', READY, wh)
end
-- the webhooks whose filters pass the event's body (decoded once); the ones filtered out are noted on the event
-- (at most MAX_FILTERED ids, and their count), not as deliveries: that would cost as much as delivering
local function filter_event(key, whs, filters)
  local body = redis.call('HGET', key, 'body')
  if not body then return whs end  -- erased: its deliveries end failed without being sent, filtered or not
  local kept, dropped = keep_passing(whs, filters, body)
  if #dropped > 0 then
    redis.call('HSET', key, 'filtered', table.concat(dropped, ',', 1, math.min(#dropped, MAX_FILTERED)),
               'filtered_count', #dropped)
  end
  return kept
end
-- one event: resolve and create its deliveries within the budget; returns (created, complete)
local function fan_out_event(ev, room)
  local key = P .. ':ev:' .. ev
  local meta = redis.call('HMGET', key, 'type', 'stack', 'branch', 'channels')
  if not (meta[1] and meta[2] and meta[3]) then
    redis.log(redis.LOG_WARNING, 'hooks: event ' .. ev .. ' is not stored (expired?); nothing to fan out')
    return 0, true
  end
  local topics = {meta[1]}
  for c in string.gmatch(meta[4] or '', '[^,]+') do topics[#topics + 1] = c end
  local sp = P .. ':wh:stack:' .. meta[2]
  local whs, filters = keep_routed(sp .. ':route', candidates(sp .. ':exact:', sp .. ':wild', sp .. ':wild:', topics),
                                   meta[3])
  if filters then whs = filter_event(key, whs, filters) end
  local created, complete = create_deliveries(ev, whs, room, ttl)
  local open = redis.call('HINCRBY', key, 'open', created)
  if complete then
    redis.call('HSET', key, 'fanned', 1)
    if open <= 0 then finish_event(ev) end  -- no webhook (or every delivery already finished)
  end
  return created, complete
end
local FANOUT_PEEK = 100  -- events read from the fan-out list at a time
local function fan_out()
  local spent, done, more = 0, 0, true
  while more and spent < budget do
    -- peek: they leave the list (one LTRIM below) only once fanned out, so a call that fails half-way leaves them
    local evs = redis.call('LRANGE', FANOUT, done, done + FANOUT_PEEK - 1)
    more = #evs == FANOUT_PEEK
    for _, ev in ipairs(evs) do
      if spent >= budget then more = true; break end
      local created, complete = fan_out_event(ev, budget - spent)
      spent = spent + created + 1
      if not complete then more = true; break end  -- the budget ran out: the next call goes on with it
      done = done + 1
    end
  end
  if done > 0 then redis.call('LTRIM', FANOUT, done, -1) end
  -- events left (the budget ran out): another drain for them; a list seen to the end needs no second look
  if spent > 0 and more and redis.call('LLEN', FANOUT) > 0 then kick() end
  return spent
end
-- READY's scores are turns, not times: a webhook served goes behind every other (ties would sort by id)
local function to_back(wh)
  local last = redis.call('ZRANGE', READY, -1, -1, 'WITHSCORES')
  local score = NOW
  if #last > 0 and tonumber(last[2]) >= score then score = tonumber(last[2]) + 0.000001 end
  redis.call('ZADD', READY, score, wh)
end
-- an ordered webhook whose failed delivery waits for its retry: out of the turns (and in CAPPED, so new deliveries
-- do not bring it back) until the retry is due; the retry is put back first (move_due.lua)
local function hold(wh, due)
  redis.call('ZREM', READY, wh)
  redis.call('ZADD', CAPPED, math.max(tonumber(due), NOW + 1), wh)
end
-- true while an ordered webhook is held (a hold whose delivery is no longer scheduled is over)
local function held(wh)
  local id = redis.call('HGET', HELD, wh)
  if not id then return false end
  local due = redis.call('ZSCORE', RETRY, id)
  if due then hold(wh, due); return true end
  redis.call('HDEL', HELD, wh)
  return false
end
-- a rated webhook's tokens now (refilled by the time elapsed on Redis's clock, capped at its burst) and that clock
local function refill(wh, rate)
  local b = redis.call('HMGET', P .. ':bucket:' .. wh, 't', 'at')
  local t = redis.call('TIME')
  local clock, burst = tonumber(t[1]) + tonumber(t[2]) / 1e6, math.max(1, rate * BURST_S)
  if not b[1] then return burst, clock end  -- no bucket: it has been idle long enough to be full
  return math.min(burst, tonumber(b[1]) + math.max(0, clock - tonumber(b[2])) * rate), clock
end
local function spend(wh, rate, left, clock)
  local key = P .. ':bucket:' .. wh
  redis.call('HSET', key, 't', left, 'at', clock)
  redis.call('EXPIRE', key, math.ceil(math.max(1, rate * BURST_S) / rate) + 1)  -- full again by then: let it go
end
-- out of tokens: out of the turns until the next one is due
local function await_token(wh, rate, tokens)
  redis.call('ZREM', READY, wh)
  redis.call('ZADD', RATED_WAIT, NOW + math.max((1 - tokens) / rate, MIN_WAIT_S), wh)
end
local function take(wh)
  local list, state = P .. ':ready:' .. wh, P .. ':wh:state:' .. wh
  local ordered = redis.call('SISMEMBER', ORDERED, wh) == 1
  if ordered and held(wh) then return nil end
  local st = redis.call('HMGET', state, 'open_until', 'probe_until', 'failures', 'proven')
  local open_until, probe_until, failures = tonumber(st[1] or '0'), tonumber(st[2] or '0'), tonumber(st[3] or '0')
  local n = batch
  -- an ordered webhook is never parked: its hold already sends nothing until the failed delivery's retry
  if ordered then open_until = 0 end
  if open_until > 0 then
    if NOW < open_until or probe_until > NOW then park(wh, list); return nil end
    n = 1  -- the cool-down is over: this one is the probe
  end
  local lanes = P .. ':inflight:' .. wh
  -- ordered, and its lane ran out with leases left: its dead drain's deliveries first (recover.lua puts them back
  -- at the front in the call that un-parks it); a later one sent now would overtake them
  if ordered and redis.call('ZCOUNT', lanes, '-inf', NOW) > 0 and redis.call('ZCOUNT', LEASED, '-inf', NOW) > 0 then
    redis.call('ZREM', READY, wh)
    redis.call('ZADD', CAPPED, NOW, wh)
    return nil
  end
  redis.call('ZREMRANGEBYSCORE', lanes, '-inf', NOW)
  local limit = cap
  -- slow start: one lane until the endpoint has answered with a success (and again while it fails), so a new
  -- dead endpoint holds one worker, not ten, for its first deadline
  if failures > 0 or not st[4] or ordered then limit = 1 end  -- ordered: one in flight, always
  if not st[4] then n = 1 end  -- and a batch of one: its first answer opens the other lanes
  local busy = redis.call('ZCARD', lanes)
  if busy >= limit then  -- at its cap: out of the turns until a lane is released
    redis.call('ZREM', READY, wh)
    redis.call('ZADD', CAPPED, redis.call('ZRANGE', lanes, 0, 0, 'WITHSCORES')[2], wh)
    return nil
  end
  local rate, tokens, clock = tonumber(redis.call('HGET', RATES, wh) or '')
  if rate then
    tokens, clock = refill(wh, rate)
    if tokens < 1 then await_token(wh, rate, tokens); return nil end
    n = math.min(n, math.floor(tokens))
  end
  local ids = redis.call('LRANGE', list, 0, n - 1)  -- peek: they leave the list once leased (pop last)
  if #ids == 0 then redis.call('ZREM', READY, wh); return nil end
  if rate then tokens = tokens - #ids; spend(wh, rate, tokens, clock) end
  if open_until > 0 then redis.call('HSET', state, 'probe_until', NOW + lease) end
  busy = busy + redis.call('ZADD', lanes, NOW + lease, token)
  redis.call('EXPIRE', lanes, math.ceil(lease) + 1)
  lease_all(LEASED, ids)
  redis.call('LTRIM', list, #ids, -1)
  local left = 0  -- fewer than asked: the list is empty now (one event at a time: the usual case)
  if #ids == n then left = redis.call('LLEN', list) end
  local others = redis.call('ZCARD', READY) - 1  -- webhooks with work besides this one
  local spent = rate and tokens < 1  -- rated and out of tokens: no other drain for it until the next one
  if left == 0 then redis.call('ZREM', READY, wh) elseif spent then await_token(wh, rate, tokens) else to_back(wh) end
  -- another drain for this webhook only when a whole batch is left (fewer are this drain's next batch: a take
  -- per delivery would cost more CPU than the wait saves), and one for the other webhooks
  if (left >= batch and not spent and busy < limit) or others > 0 then kick() end
  local hashes, bodies = {}, {}
  for i, id in ipairs(ids) do
    hashes[i] = redis.call('HGETALL', P .. ':dl:' .. id)
    bodies[i] = redis.call('HMGET', P .. ':ev:' .. event_of(id), 'body', 'concise_body')
  end
  return {'deliver', wh, tostring(failures), redis.call('GET', webhook_prefix .. wh), ids, hashes, bodies}
end

local function settle()
  local previous, i = O.previous, ARGS_TAIL
  local retried, retried_due  -- the batch's delivery that failed with a retry (a batch stops at its first failure)
  local settled = {}
  for _ = 1, tonumber(O.records) do
    local id, due, finishes, nf = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
    -- a settle run twice (Redis ran it, then died before answering, and the drain called again) finishes once
    local first = finishes == '1' and redis.call('HGET', P .. ':dl:' .. id, 'status') == 'pending'
    if nf > 0 then redis.call('HSET', P .. ':dl:' .. id, unpack(ARGV, i + 4, i + 3 + 2 * nf)) end
    if due ~= '' then redis.call('ZADD', RETRY, due, id); retried, retried_due = id, due end
    if first then finish_delivery(id) end
    settled[#settled + 1] = id
    i = i + 4 + 2 * nf
  end
  if #settled > 0 then redis.call('ZREM', P .. ':leased', unpack(settled)) end  -- their leases, last, in one call
  if previous == '' then return end
  redis.call('ZREM', P .. ':inflight:' .. previous, token)
  uncap(previous)  -- the lane is free: the webhook takes turns again
  if retried and redis.call('SISMEMBER', ORDERED, previous) == 1 then  -- unless its failure holds the rest
    redis.call('HSET', HELD, previous, retried)
    hold(previous, retried_due)
  end
  local back = tonumber(ARGV[i])
  if back > 0 then
    for k = i + back, i + 1, -1 do redis.call('LPUSH', P .. ':ready:' .. previous, ARGV[k]) end
    redis.call('ZREM', P .. ':leased', unpack(ARGV, i + 1, i + back))
    if redis.call('EXISTS', P .. ':bucket:' .. previous) == 1 then  -- not sent: their tokens go back
      redis.call('HINCRBYFLOAT', P .. ':bucket:' .. previous, 't', back)
    end
    ready(previous)
  end
  -- its last attempt succeeded: a success ends a run of failures (and closes an open breaker: the probe)
  if O.succeeded == '1' then
    local state = P .. ':wh:state:' .. previous
    local st = redis.call('HMGET', state, 'failures', 'proven')
    if tonumber(st[1] or '0') > 0 then close_breaker(previous); st[2] = false end  -- it deletes the state
    if not st[2] then redis.call('HSETNX', state, 'proven', 1) end
  end
end

-- drains deliver on a full Redis, which frees memory (includes/when_full.lua); the DEL is of WOKEN (kick.lua): this
-- call fans out every event queued so far (or, ending, kicks for them), so the next kick may wake a drain again
keep_working_when_full(WOKEN)
settle()
if mode == 'end' then  -- the slice is over: a fresh task takes over if work is left
  append_history(O.history)
  redis.call('ZREM', DRAINS, token)
  redis.call('ZREM', IDLE, token)
  if redis.call('LLEN', FANOUT) > 0 or redis.call('ZCARD', READY) > 0 then kick() end
  return {'ended'}
end
-- this drain's registration: set to the running lease when it is a second off it (a ZADD in every take moved its
-- entry every turn; the lease is tens of seconds, and kick() only counts the drains whose lease has not run out).
-- Off both ways: a queued task is registered for the longer queued lease (kick), which its first take brings
-- down, so a drain whose worker dies counts against MAX_DRAINS for a lease after its last take, not the queued one
local mine = redis.call('ZSCORE', DRAINS, token)
if not mine or math.abs(tonumber(mine) - (NOW + lease)) >= 1 then redis.call('ZADD', DRAINS, NOW + lease, token) end
redis.call('ZREM', IDLE, token)
local fanned = fan_out()
append_history(O.history)  -- the settled batch's records, and the events finished by it or by the fan-out
-- due: a rated webhook's next token (CAPPED is recover.lua's alone: a lane that ran out has leases to put back)
for _, wh in ipairs(redis.call('ZRANGEBYSCORE', RATED_WAIT, '-inf', NOW, 'LIMIT', 0, 16)) do unwait(wh) end
for _, wh in ipairs(redis.call('ZRANGE', READY, 0, 15)) do
  local reply = take(wh)
  if reply then return reply end
end
if fanned > 0 then return {'fanned'} end
if mode == 'exit' then
  redis.call('ZREM', DRAINS, token)
  return {'ended'}
end
-- an idle drain calls again at least every 0.25 s: a short registration, so one that died (its worker killed) stops
-- absorbing kick()s within seconds instead of its whole lease
redis.call('ZADD', IDLE, NOW + 3, token)
-- a rated webhook's token due before the next poll: one idle drain (the first to ask) sleeps only until then
local first = redis.call('ZRANGE', RATED_WAIT, 0, 0, 'WITHSCORES')
if #first > 0 and tonumber(first[2]) < NOW + IDLE_POLL_S then
  local wait = math.max(tonumber(first[2]) - NOW, 0.001)
  if redis.call('SET', WAKER, token, 'PX', math.ceil(wait * 1000), 'NX') then return {'idle', tostring(wait)} end
end
return {'idle'}
