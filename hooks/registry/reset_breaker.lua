--[[
  reset_breaker: close a webhook's circuit breaker and release what waited behind it (oldest first, due now).
  KEYS: none.
  ARGV: 1 key prefix, 2 now (Unix s), 3 webhook id.
  Returns how many deliveries were released.
]]
local P, NOW = ARGV[1], tonumber(ARGV[2])
--- @include "close_breaker"
return close_breaker(ARGV[3])
