"""The index that resolves an event to its webhooks without scanning them, kept in step with every write.

Patterns without wildcards are sets keyed by the exact channel, found by direct lookup of the event's type and
channels; wildcard patterns are listed per stack (usually few) and matched against the topics, then their sets
are read. Each stack also has a route hash, webhook id -> `1|main,dev` (enabled `1` or `0`, a bar, then the
branches or `*`; with a payload filter, another bar and the filter's conditions), so that branch, enabled and
the filter are read for the (few) candidates without reading their JSON.
`write` and `unindex`, which every create, update, enable, disable and delete goes through, keep the sets and
the route hash in step (hooks/store/keys.py has the key map).

Webhooks stored before route hashes existed have no route: the resolve script then reads the webhook's JSON
instead, which is correct but slower. Run `rebuild_routes(client, settings)` once, after every process that
writes webhooks runs this version (an older writer would update a webhook without its route), to write their
routes. It is idempotent and safe while events flow.
"""

from __future__ import annotations

from typing import Any

import redis

from hooks.models.filters import stored_conditions
from hooks.models.webhook import Webhook, parse_stored
from hooks.registry.matching import is_wildcard
from hooks.settings import Settings
from hooks.store.connection import decoded
from hooks.store.keys import Keys
from hooks.store.scripts import beside

_PRUNE = beside(__file__, "prune_pattern")


def write(pipe: Any, keys: Keys, webhook: Webhook, old: Webhook | None) -> None:
    """Queue on `pipe` the commands that store `webhook` and index it (replacing `old`'s entries)."""
    if old is not None:
        unindex(pipe, keys, old)
    pipe.set(keys.webhook(webhook.id), webhook.model_dump_json())
    pipe.zadd(keys.webhooks_all, {webhook.id: webhook.created_at.timestamp() * 1000})
    pipe.hset(keys.route(webhook.stack), webhook.id, route(webhook))
    if webhook.ordered:
        pipe.sadd(keys.ordered, webhook.id)
    elif old is not None and old.ordered:  # no longer ordered: nothing held any more either
        pipe.srem(keys.ordered, webhook.id)
        pipe.hdel(keys.held, webhook.id)
    write_rate(pipe, keys, webhook, old)
    for pattern in webhook.events:
        if is_wildcard(pattern):
            pipe.hincrby(keys.wild_patterns(webhook.stack), pattern, 1)
            pipe.sadd(keys.wild(webhook.stack, pattern), webhook.id)
        else:
            pipe.sadd(keys.exact(webhook.stack, pattern), webhook.id)


def write_rate(pipe: Any, keys: Keys, webhook: Webhook, old: Webhook | None) -> None:
    """Queue the rate the drains read (`{p}:rates`, take.lua): a changed rate applies from the next take, so a
    webhook parked until its next token is due (in `{p}:rated_wait`) is made due now; a removed one drops its bucket."""
    rate = webhook.rate_limit_per_s
    if rate is not None:
        pipe.hset(keys.rates, webhook.id, repr(rate))
    elif old is not None and old.rate_limit_per_s is not None:
        pipe.hdel(keys.rates, webhook.id)
        pipe.delete(keys.bucket(webhook.id))
    if old is not None and old.rate_limit_per_s != rate:
        pipe.zadd(keys.rated_wait, {webhook.id: 0}, xx=True)  # only if parked; take.lua parks it again if need be


def unindex(pipe: Any, keys: Keys, webhook: Webhook) -> None:
    """Queue on `pipe` the commands that remove `webhook` from every index (its JSON stays)."""
    pipe.hdel(keys.route(webhook.stack), webhook.id)
    for pattern in webhook.events:
        if is_wildcard(pattern):
            pipe.srem(keys.wild(webhook.stack, pattern), webhook.id)
            pipe.hincrby(keys.wild_patterns(webhook.stack), pattern, -1)
        else:
            pipe.srem(keys.exact(webhook.stack, pattern), webhook.id)
    for pattern in webhook.events:
        if is_wildcard(pattern):
            _PRUNE.queue(pipe, keys.wild_patterns(webhook.stack), pattern)


def route(webhook: Webhook) -> str:
    """A webhook's field in its stack's route hash: `1|main,dev`, enabled (1 or 0) then its branches (or `*`), and
    with a payload filter a third part, its conditions (`stored_conditions`): the fan-out reads it with the route,
    no extra lookup."""
    base = f"{int(webhook.enabled)}|{','.join(webhook.branches)}"
    return base if webhook.filter is None else f"{base}|{stored_conditions(webhook.filter)}"


def rebuild_routes(client: redis.Redis, settings: Settings, chunk: int = 500) -> int:
    """Write the route of every stored webhook, for webhooks stored before routes existed; returns how many."""
    keys = Keys(settings)
    ids = decoded(client.zrange(keys.webhooks_all, 0, -1))
    return sum(_rebuild_chunk(client, keys, ids[start : start + chunk]) for start in range(0, len(ids), chunk))


def _rebuild_chunk(client: redis.Redis, keys: Keys, ids: list[str]) -> int:
    """Write the routes of `ids` from their JSON, reading again if one changes meanwhile; returns how many exist."""
    names = [keys.webhook(i) for i in ids]
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(*names)
                stored = [parse_stored(raw) for raw in pipe.mget(names) if raw is not None]
                pipe.multi()
                for wh in stored:
                    pipe.hset(keys.route(wh.stack), wh.id, route(wh))
                pipe.execute()
                return len(stored)
            except redis.WatchError:
                continue
