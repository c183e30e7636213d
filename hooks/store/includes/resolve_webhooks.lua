--[[
  resolve_webhooks: find, inside Redis, the webhooks an event goes to (hooks/registry/ keeps the index).
  Needs a local `webhook_prefix` (the webhook JSON key prefix) set before the include.
    candidates(exact_prefix, wild_hash, wild_prefix, topics)  ids whose patterns match any topic: the exact
        sets of the topics, plus the sets of the stack's wildcard patterns that match one
    keep_routed(route_hash, ids, branch)  the ids enabled on this branch, from the stack's route hash
        (id -> '1|main,dev', or '1|main,dev|<filter's conditions>'), and the routes of those with a filter (id ->
        route, nil when none has one; the fan-out applies them: includes/filter.lua keep_passing); a webhook stored before route hashes
        existed is read from its JSON
]]
--- @include "match_topic"
local CHUNK = 1000  -- keys or ids per command: unpack() takes at most a few thousand values
local segments, matched = {}, {}  -- memos for the whole call: stacks share patterns, events share topics

local function split_once(s)
  local segs = segments[s]
  if not segs then
    segs = split_topic(s)
    segments[s] = segs
  end
  return segs
end

local function matches(pattern, topic)
  local by_topic = matched[pattern]
  if not by_topic then
    by_topic = {}
    matched[pattern] = by_topic
  end
  local hit = by_topic[topic]
  if hit == nil then
    hit = topic_matches(split_once(pattern), split_once(topic))
    by_topic[topic] = hit
  end
  return hit
end

local function union(keys)
  if #keys <= CHUNK then return redis.call('SUNION', unpack(keys)) end
  local seen, ids = {}, {}
  for i = 1, #keys, CHUNK do
    for _, id in ipairs(redis.call('SUNION', unpack(keys, i, math.min(i + CHUNK - 1, #keys)))) do
      if not seen[id] then
        seen[id] = true
        ids[#ids + 1] = id
      end
    end
  end
  return ids
end

local function candidates(exact_prefix, wild_hash, wild_prefix, topics)
  if #topics == 0 then return {} end
  local keys = {}
  for i, topic in ipairs(topics) do keys[i] = exact_prefix .. topic end
  for _, pattern in ipairs(redis.call('HKEYS', wild_hash)) do
    for _, topic in ipairs(topics) do
      if matches(pattern, topic) then
        keys[#keys + 1] = wild_prefix .. pattern
        break
      end
    end
  end
  return union(keys)
end

-- the route of a webhook stored before route hashes existed, from its JSON; nil when it no longer exists
local function stored_route(id)
  local raw = redis.call('GET', webhook_prefix .. id)
  if not raw then return nil end
  local wh = cjson.decode(raw)
  local route = (wh.enabled and '1|' or '0|') .. table.concat(wh.branches, ',')
  if type(wh.filter) == 'table' then  -- as hooks/models/filters.py `stored_conditions` writes it
    local conds = {}
    for path, ops in pairs(wh.filter) do conds[#conds + 1] = cjson.encode({[path] = ops}) end
    if #conds > 0 then route = route .. '|' .. table.concat(conds, string.char(31)) end
  end
  return route
end

local function routed(route, branch)
  if string.sub(route, 1, 2) ~= '1|' then return false end
  for name in string.gmatch(string.sub(route, 3), '[^,]+') do
    if name == '*' or name == branch then return true end
  end
  return false
end

local function keep_routed(route_hash, ids, branch)
  local out, verdicts, filters = {}, {}, nil  -- verdicts: route -> routed(route, branch); a stack has few routes
  for first = 1, #ids, CHUNK do
    local last = math.min(first + CHUNK - 1, #ids)
    local routes = redis.call('HMGET', route_hash, unpack(ids, first, last))
    for k = first, last do
      local id = ids[k]
      local route = routes[k - first + 1] or stored_route(id)
      if route then
        local base, bar = route, string.find(route, '|', 3, true)  -- branch names have no bar: a third part
        if bar then base = string.sub(route, 1, bar - 1) end     -- is the filter (read in place, not copied)
        local ok = verdicts[base]
        if ok == nil then
          ok = routed(base, branch)
          verdicts[base] = ok
        end
        if ok then
          out[#out + 1] = id
          if bar then
            filters = filters or {}
            filters[id] = route
          end
        end
      end
    end
  end
  return out, filters
end
