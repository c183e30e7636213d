--[[
  prune_pattern: forget a wildcard pattern no webhook of the stack uses any more, so it stops being matched
  against every event. Runs in the transaction that unindexes a webhook.
  KEYS: none.
  ARGV: 1 the stack's wildcard hash (pattern -> number of webhooks), 2 the pattern.
  Returns 1 if it was forgotten.
]]
if tonumber(redis.call('HGET', ARGV[1], ARGV[2]) or '0') <= 0 then return redis.call('HDEL', ARGV[1], ARGV[2]) end
return 0
