"""Topic patterns with AMQP rules (as kombu's topic exchanges): `*` is exactly one segment, `#` zero or more.

The rules exist twice: `_match` here, and its Lua port that the resolve and take scripts run inside Redis
(hooks/store/includes/match_topic.lua). tests/integration/registry/test_resolve_lua.py checks that both agree.
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


def branch_matches(branches: list[str], branch: str) -> bool:
    """Whether a webhook scoped to `branches` (names, or `*` for all) hears events of `branch`."""
    return "*" in branches or branch in branches
