--[[
  filter: payload filters, evaluated in the fan-out. hooks/models/filters.py documents the language and is the
  reference these functions agree with (tests/integration/hooks/store/test_filter_lua.py). A filter arrives as
  the compact JSON hooks/registry/index.py keeps in the stack's route hash, already checked and in normal form
  (every condition an operator object).
    compiled_filter(text)      the filter compiled once per script call (a list of {segments, ops}); nil when the
        text cannot be read (never written so: the webhook then gets every event rather than the pipeline stopping)
    filter_passes(f, body)     whether the decoded body (cjson) passes every condition
    keep_passing(whs, filters, body_json)  the ids of `whs` whose filter (filters[id], absent: none) passes the
        body, and the ids filtered out; the body is decoded once, and each distinct filter evaluated once
  cjson facts relied on: numbers are doubles (so 1 == 1.0, and a table key 1 is 1.0), JSON null is the
  lightuserdata cjson.null (not nil: it exists), object keys stay strings and arrays are 1-based, so a digit
  segment is looked up as a key first and then as an index.
]]
local compiled_filters = {}

local function compile_path(path)
  local segs = {}
  for key in string.gmatch(path, '[^.]+') do
    local index
    if string.match(key, '^0$') or string.match(key, '^[1-9]%d?%d?%d?%d?%d?%d?%d?%d?$') then
      index = tonumber(key) + 1
    end
    segs[#segs + 1] = {key = key, index = index}
  end
  return segs
end

local function value_set(list)
  local set = {}
  for _, v in ipairs(list) do set[v] = true end
  return set
end

local function compile_ops(ops)
  local out = {}
  for op, arg in pairs(ops) do
    if op == '$in' or op == '$nin' then arg = value_set(arg) end
    out[#out + 1] = {op, arg}
  end
  return out
end

local function compile_filter(text)
  local conds = {}
  for path, ops in pairs(cjson.decode(text)) do
    conds[#conds + 1] = {compile_path(path), compile_ops(ops)}
  end
  return conds
end

local function compiled_filter(text)
  local f = compiled_filters[text]
  if f == nil then
    local ok, conds = pcall(compile_filter, text)
    if not ok then
      redis.log(redis.LOG_WARNING, 'hooks: unreadable webhook filter, ignored: ' .. string.sub(text, 1, 80))
      conds = false
    end
    f = conds
    compiled_filters[text] = f
  end
  return f or nil
end

local function lookup(body, segs)
  local v = body
  for i = 1, #segs do
    if type(v) ~= 'table' then return nil end
    local s = segs[i]
    local found = v[s.key]
    if found == nil and s.index then found = v[s.index] end
    if found == nil then return nil end
    v = found
  end
  return v
end

-- v (not nil, not a table) is a scalar; a set's keys are scalars of their own kind ("1", 1 and true differ)
local function op_holds(op, arg, v)
  local scalar = v ~= nil and type(v) ~= 'table'
  if op == '$eq' then return scalar and v == arg end
  if op == '$in' then return scalar and arg[v] == true end
  if op == '$ne' then return not (scalar and v == arg) end
  if op == '$nin' then return not (scalar and arg[v] == true) end
  if op == '$exists' then return (v ~= nil) == arg end
  if op == '$prefix' then return type(v) == 'string' and string.sub(v, 1, #arg) == arg end
  if type(v) ~= 'number' then return false end
  if op == '$gt' then return v > arg end
  if op == '$gte' then return v >= arg end
  if op == '$lt' then return v < arg end
  if op == '$lte' then return v <= arg end
  return false
end

local function filter_passes(f, body)
  for _, cond in ipairs(f) do
    local v = lookup(body, cond[1])
    for _, pair in ipairs(cond[2]) do
      if not op_holds(pair[1], pair[2], v) then return false end
    end
  end
  return true
end

local function keep_passing(whs, filters, body_json)
  local ok, body = pcall(cjson.decode, body_json)
  if not ok then return whs, {} end  -- an unreadable body: every webhook gets it, as without filters
  local kept, dropped, verdicts = {}, {}, {}
  for _, id in ipairs(whs) do
    local text, pass = filters[id], true
    if text then
      pass = verdicts[text]
      if pass == nil then
        local f = compiled_filter(text)
        pass = f == nil or filter_passes(f, body)
        verdicts[text] = pass
      end
    end
    if pass then kept[#kept + 1] = id else dropped[#dropped + 1] = id end
  end
  return kept, dropped
end
