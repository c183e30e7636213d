--[[
  filter: payload filters, evaluated in the fan-out. hooks/models/filters.py documents the language and is the
  reference these functions agree with (tests/integration/hooks/store/test_filter_lua.py). A filter arrives as
  hooks/registry/index.py keeps it in the stack's route hash (`stored_conditions` in filters.py): its conditions,
  checked and in normal form, each the compact JSON of a one-key object `{"path": {op: arg, ...}}`, joined by
  the byte 0x1F (compact JSON escapes control characters, so the byte never occurs inside one).
    filter_passes(text, body, memo, start)  whether the decoded body (cjson) passes every condition of `text`
        (from `start`: the conditions are read in place, not copied out of the route); `memo`
        (optional, one per body: {verdicts = {}, values = {}}) keeps each distinct condition's verdict and each
        path's value, as webhooks'
        filters share conditions and paths: a condition is decoded and evaluated once per event
    keep_passing(whs, routes, body_json)  the ids of `whs` whose filter passes the body, and the ids filtered
        out: routes[id] is a webhook's route with a filter (`1|main|<conditions>`), absent for none; the body is
        decoded once
  A condition that cannot be read (never written so) holds: the webhook gets the event rather than the pipeline
  stopping. Cost: decoding a whole filter per webhook and event, or building a compiled form of it, cost more
  than the fan-out's own work per webhook (bench/filters.py); conditions are what webhooks share.
  cjson facts relied on: numbers are doubles (1 == 1.0), JSON null is the lightuserdata cjson.null (not nil: it
  exists), object keys stay strings and arrays are 1-based, so a digit segment is looked up as a key first and
  then as an index; `[]` decodes like `{}`, which is the same empty list for $in/$nin.
]]
local SEP, MISSING = string.char(31), {}  -- MISSING: a path that leads nowhere, in a memo

-- a digit key (no leading zero, at most 9 digits) also indexes a list (cjson's are 1-based)
local function step(v, key)
  local found = v[key]
  if found == nil and (key == '0' or string.match(key, '^[1-9]%d?%d?%d?%d?%d?%d?%d?%d?$')) then
    found = v[tonumber(key) + 1]
  end
  return found
end

local function lookup(body, path)
  local v, start = body, 1
  while true do
    if type(v) ~= 'table' then return nil end
    local dot = string.find(path, '.', start, true)
    if not dot then return step(v, string.sub(path, start)) end
    v = step(v, string.sub(path, start, dot - 1))
    if v == nil then return nil end
    start = dot + 1
  end
end

local function listed(list, v)
  for i = 1, #list do
    if list[i] == v then return true end
  end
  return false
end

-- v (not nil, not a table) is a scalar: == compares kinds too ("1", 1 and true differ), cjson.null equals itself
local function op_holds(op, arg, v)
  local scalar = v ~= nil and type(v) ~= 'table'
  if op == '$eq' then return scalar and v == arg end
  if op == '$in' then return scalar and listed(arg, v) end
  if op == '$ne' then return not (scalar and v == arg) end
  if op == '$nin' then return not (scalar and listed(arg, v)) end
  if op == '$exists' then return (v ~= nil) == arg end
  if op == '$prefix' then return type(v) == 'string' and string.sub(v, 1, #arg) == arg end
  if type(v) ~= 'number' then return false end
  if op == '$gt' then return v > arg end
  if op == '$gte' then return v >= arg end
  if op == '$lt' then return v < arg end
  if op == '$lte' then return v <= arg end
  return false
end

local function condition_holds(text, body, values)
  local ok, cond = pcall(cjson.decode, text)
  if not ok or type(cond) ~= 'table' then
    redis.log(redis.LOG_WARNING, 'hooks: unreadable filter condition, ignored: ' .. string.sub(text, 1, 80))
    return true
  end
  for path, ops in pairs(cond) do
    local v = values[path]
    if v == nil then
      v = lookup(body, path)
      values[path] = v == nil and MISSING or v
    elseif v == MISSING then
      v = nil
    end
    for op, arg in pairs(ops) do
      if not op_holds(op, arg, v) then return false end
    end
  end
  return true
end

local function filter_passes(text, body, memo, start)
  memo = memo or {verdicts = {}, values = {}}
  local verdicts = memo.verdicts
  start = start or 1
  while true do
    local sep = string.find(text, SEP, start, true)
    local cond = string.sub(text, start, (sep or 0) - 1)
    local holds = verdicts[cond]
    if holds == nil then
      holds = condition_holds(cond, body, memo.values)
      verdicts[cond] = holds
    end
    if not holds then return false end
    if not sep then return true end
    start = sep + 1
  end
end

local function keep_passing(whs, routes, body_json)
  local ok, body = pcall(cjson.decode, body_json)
  if not ok then return whs, {} end  -- an unreadable body: every webhook gets it, as without filters
  local kept, dropped, memo = {}, {}, {verdicts = {}, values = {}}
  for _, id in ipairs(whs) do
    local route = routes[id]
    if route == nil or filter_passes(route, body, memo, string.find(route, '|', 3, true) + 1) then
      kept[#kept + 1] = id
    else
      dropped[#dropped + 1] = id
    end
  end
  return kept, dropped
end
