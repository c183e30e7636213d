"""Topic patterns with AMQP rules (as kombu's topic exchanges): `*` is exactly one segment, `#` zero or more.

The rules exist twice: `_match` here, and `TOPIC_MATCH_LUA`, its port that the registry's resolve script runs
inside Redis. tests/integration/test_resolve_lua.py checks that both give the same answers.
"""

from __future__ import annotations

from functools import lru_cache


def is_wildcard(pattern: str) -> bool:
    """True when the pattern has a `*` or `#` segment (it cannot be looked up as an exact channel)."""
    return any(seg in ("*", "#") for seg in pattern.split("."))


@lru_cache(maxsize=65536)
def topic_matches(pattern: str, topic: str) -> bool:
    """Whether `topic` (dotted segments) matches `pattern` under AMQP topic rules."""
    return _match(tuple(pattern.split(".")), tuple(topic.split(".")))


def _match(pat: tuple[str, ...], words: tuple[str, ...]) -> bool:
    # reachable[j]: the first i pattern segments can consume the first j words.
    reachable = [True] + [False] * len(words)
    for seg in pat:
        nxt = [False] * (len(words) + 1)
        if seg == "#":
            seen = False
            for j in range(len(words) + 1):
                seen = seen or reachable[j]
                nxt[j] = seen
        else:
            for j in range(len(words)):
                if reachable[j] and (seg == "*" or seg == words[j]):
                    nxt[j + 1] = True
        reachable = nxt
    return reachable[len(words)]


# Lua port of `_match`, for scripts that match inside Redis. Segments split like Python's str.split(".") (empty
# ones kept). `topic_matches(pat, words)` takes both already split; `reach[j]` is `reachable[j]` above.
TOPIC_MATCH_LUA = """
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
"""


def branch_matches(branches: list[str], branch: str) -> bool:
    """Whether a webhook scoped to `branches` (names, or `*` for all) hears events of `branch`."""
    return "*" in branches or branch in branches
