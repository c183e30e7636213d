--[[
  oauth2_unlock: release a webhook's OAuth2 token lock if this worker still holds it (workers/attempt/oauth2.py).
  KEYS: none.
  ARGV: 1 key prefix, 2 webhook id, 3 the holder's random value.
  Returns 1 when released, 0 when the lock had expired or was another's.
]]
local lock = ARGV[1] .. ':wh:oauth2:' .. ARGV[2] .. ':lock'
if redis.call('GET', lock) == ARGV[3] then return redis.call('DEL', lock) end
return 0
