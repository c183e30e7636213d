--[[
  uncount: take back the outcomes a replay puts back in flight from the metrics' window buckets, one each.
  A bucket that exists keeps its TTL (the archiver's, from when it counted); one that does not (its delivery not
  archived yet: the archiver counts it soon after) is made with the TTL given, never left without one.
  KEYS: none (the bucket keys come whole in ARGV, built by hooks.metrics.keys.MetricKeys with its prefix).
  ARGV: triples of bucket key, field, TTL (s).
  Returns how many buckets were decremented.
]]
for i = 1, #ARGV, 3 do
  local key = ARGV[i]
  local fresh = redis.call('EXISTS', key) == 0
  redis.call('HINCRBY', key, ARGV[i + 1], -1)
  if fresh then redis.call('EXPIRE', key, ARGV[i + 2]) end
end
return #ARGV / 3
