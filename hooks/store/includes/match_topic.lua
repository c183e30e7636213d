--[[
  match_topic: AMQP topic rules (as kombu's topic exchanges), `*` exactly one segment, `#` zero or more.
  The Lua twin of hooks/registry/matching.py `_match`; tests/integration/registry/test_resolve_lua.py checks
  that both give the same answers.
    split_topic(s)            segments, split like Python's str.split('.') (empty ones kept)
    topic_matches(pat, words) both already split; reach[j]: the first segments can consume the first j words
]]
local function split_topic(s)
  local out, start = {}, 1
  while true do
    local dot = string.find(s, '.', start, true)
    if not dot then break end
    out[#out + 1] = string.sub(s, start, dot - 1)
    start = dot + 1
  end
  out[#out + 1] = string.sub(s, start)
  return out
end

local function topic_matches(pat, words)
  local n = #words
  local reach = {[0] = true}
  for j = 1, n do reach[j] = false end
  for _, seg in ipairs(pat) do
    local nxt = {}
    if seg == '#' then
      local seen = false
      for j = 0, n do
        seen = seen or reach[j]
        nxt[j] = seen
      end
    else
      for j = 0, n do nxt[j] = false end
      for j = 0, n - 1 do
        if reach[j] and (seg == '*' or seg == words[j + 1]) then nxt[j + 1] = true end
      end
    end
    reach = nxt
  end
  return reach[n]
end
