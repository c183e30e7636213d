"""Resolving events to their webhooks in one round trip: the index (hooks/registry/index.py) read inside Redis.

`resolve_ids` and `resolve_ids_many` run `resolve.lua` (beside this file), which matches the stack's wildcard
patterns against the event's topics (the `match_topic` include, the Lua twin of `matching.py`), unions the
matching sets and keeps the webhooks enabled on the branch. The drains fan out with the same functions inside
their take script. `resolve` adds one MGET for callers that want the webhooks themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import redis

from hooks.models.webhook import Webhook, parse_stored
from hooks.registry.matching import branch_matches
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from hooks.store.scripts import beside

_RESOLVE = beside(__file__, "resolve")

Query = tuple[str, str, Iterable[str]]
"""What `resolve_ids_many` resolves: (stack, branch, topics), the topics being an event's type and channels."""


def resolve(stack: str, branch: str, topics: Iterable[str], client: redis.Redis | None = None) -> list[Webhook]:
    """The enabled webhooks of `stack` and `branch` with a pattern matching any topic, each once, in id order.

    Two round trips: `resolve_ids`, then the webhooks' JSON, which has the last word (a webhook deleted, disabled
    or taken off the branch in between is left out).
    """
    settings = get_settings()
    keys = Keys(settings)
    client = client or get_redis(settings)
    ids = resolve_ids(client, settings, stack, branch, topics)
    if not ids:
        return []
    out = []
    for raw in client.mget([keys.webhook(i) for i in ids]):
        if raw is None:
            continue
        wh = parse_stored(raw)
        if wh.enabled and branch_matches(wh.branches, branch):
            out.append(wh)
    return out


def resolve_ids(client: redis.Redis, settings: Settings, stack: str, branch: str, topics: Iterable[str]) -> list[str]:
    """The sorted ids of the enabled webhooks of `stack` and `branch` with a pattern matching any topic; one round trip."""
    return resolve_ids_many(client, settings, [(stack, branch, topics)])[0]


def resolve_ids_many(client: redis.Redis, settings: Settings, queries: Sequence[Query]) -> list[list[str]]:
    """`resolve_ids` of every (stack, branch, topics) query, in order, in one script call (one round trip)."""
    if not queries:
        return []
    keys = Keys(settings)
    args: list[str | int] = [keys.webhook("")]
    for stack, branch, topics in queries:
        listed = list(topics)
        args += [keys.exact(stack, ""), keys.wild_patterns(stack), keys.wild(stack, ""), keys.route(stack), branch]
        args += [len(listed), *listed]
    replies = _RESOLVE.run(client, *args)
    return [sorted(ids.decode().split(",")) if ids else [] for ids in replies]
