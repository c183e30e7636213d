--[[
  history: what leaves Redis for the history (PostgreSQL), through the stream {p}:history that the archiver
  (workers/archiver/) reads with a consumer group. Needs P and a local FINISHED_TTL (s) set before the include.
    finish_delivery(id)  a delivery is finished (delivered, dead-lettered or failed): its hash stays readable for
        FINISHED_TTL, then expires; its event loses one open delivery and finishes with its last one
    finish_event(ev)     an event whose deliveries are all finished (and whose fan-out is complete): its hash and
        its delivery index stay FINISHED_TTL; its record goes to the history with the next append_history
    append_history(deliveries_json)  one stream entry: `d` the delivery records (a JSON array built by the
        drain, '' for none), `e` the finished events' records (JSON, built here from their hashes)
  An event's hash counts its unfinished deliveries in `open` and says `fanned` once its fan-out is complete.
]]
--- @include "delivery_id"
local finished_events = {}

local function finish_event(ev)
  local key = P .. ':ev:' .. ev
  redis.call('EXPIRE', key, FINISHED_TTL)
  redis.call('EXPIRE', P .. ':dl:by_ev:' .. ev, FINISHED_TTL)
  finished_events[#finished_events + 1] = ev
end

local function finish_delivery(id)
  redis.call('EXPIRE', P .. ':dl:' .. id, FINISHED_TTL)
  local ev = event_of(id)
  local key = P .. ':ev:' .. ev
  local f = redis.call('HMGET', key, 'type', 'fanned')  -- every stored event has a type
  if not f[1] then return end  -- expired or erased: nothing left to count
  local open = redis.call('HINCRBY', key, 'open', -1)
  if open <= 0 and f[2] == '1' then finish_event(ev) end
end

local function append_history(deliveries_json)
  if deliveries_json == '' and #finished_events == 0 then return end
  local events = {}
  for i, ev in ipairs(finished_events) do
    local f = redis.call('HMGET', P .. ':ev:' .. ev, 'type', 'stack', 'branch', 'channels', 'timestamp', 'body',
                         'concise_body', 'filtered', 'filtered_count')
    events[i] = {id = ev, type = f[1], stack = f[2], branch = f[3], channels = f[4], timestamp = f[5],
                 body = f[6], concise_body = f[7], filtered_out = f[8], filtered_count = f[9]}
  end
  local fields = {}
  if deliveries_json ~= '' then fields[#fields + 1] = 'd'; fields[#fields + 1] = deliveries_json end
  if #events > 0 then fields[#fields + 1] = 'e'; fields[#fields + 1] = cjson.encode(events) end
  redis.call('XADD', P .. ':history', '*', unpack(fields))
  finished_events = {}
end
