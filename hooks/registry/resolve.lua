--[[
  resolve: the webhooks each of several events goes to, in one round trip.
  KEYS: none.
  ARGV: 1 the webhook key prefix; then per query: the exact-set key prefix, the wildcard hash, the wildcard-set
        key prefix, the route hash, the branch, the number of topics, the topics.
  Payload filters are not applied here (they need the event's body): the fan-out applies them (take.lua).
  Returns per query its webhook ids joined by commas (ids have none): one bulk string parses much faster in
  redis-py than a list of them.
]]
local webhook_prefix = ARGV[1]
--- @include "resolve_webhooks"
local results, i = {}, 2
while i <= #ARGV do
  local n, topics = tonumber(ARGV[i + 5]), {}
  for k = 1, n do topics[k] = ARGV[i + 5 + k] end
  local ids = keep_routed(ARGV[i + 3], candidates(ARGV[i], ARGV[i + 1], ARGV[i + 2], topics), ARGV[i + 4])
  results[#results + 1] = table.concat(ids, ',')
  i = i + 6 + n
end
return results
