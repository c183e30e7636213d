"""The dead-letter queue: list, replay, purge, and the Retry button that resends any delivery.

The DLQ is the sorted set `Keys.dlq` (member delivery id, score the Unix time it was dead-lettered). Replaying
puts a delivery back on the retry schedule, due now, with a fresh round of attempts and `replays` one higher;
the attempt log marks the attempts of a replay. The delivery id, and so the `webhook-id` header receivers
de-duplicate on, never changes. Every change is one MULTI transaction guarded by WATCH on the delivery hashes,
so two operators replaying (or purging) the same delivery at once act on it once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, cast

import redis

from config import get_settings
from hooks.deliveries.query import get_delivery
from hooks.errors import NotFoundError, ValidationError
from hooks.models.delivery import Delivery, parse_delivery
from hooks.models.ids import split_delivery_id
from hooks.store.connection import get_redis
from hooks.store.keys import Keys

CHUNK = 500
PURGED = "purged"

Action = Callable[[Any, Keys, str, float], None]


def list_dead(*, webhook_id: str | None = None, since: float | None = None, limit: int = 100) -> list[Delivery]:
    """Dead-lettered deliveries, newest first, of one webhook and/or since a Unix time; raises ValidationError."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValidationError("limit: must be a positive integer.")
    if since is not None and not isinstance(since, (int, float)):
        raise ValidationError(f"since: expected a Unix time in seconds, got {type(since).__name__}.")
    settings = get_settings()
    client = get_redis(settings)
    keys = Keys(settings)
    low = "-inf" if since is None else since
    out: list[Delivery] = []
    offset = 0
    while len(out) < limit:
        page = cast("list[bytes]", client.zrevrangebyscore(keys.dlq, "+inf", low, start=offset, num=CHUNK))
        ids = [i.decode() for i in page]
        if not ids:
            break
        offset += len(ids)
        # the webhook is part of the delivery id: filter before reading any hash
        ids = [i for i in ids if webhook_id is None or _webhook_of(i) == webhook_id]
        with client.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.hgetall(keys.delivery(i))
            raws = pipe.execute()
        # no hash (or one without event_id, rewritten after it expired): nothing to show, skip it
        out.extend(parse_delivery(i, raw) for i, raw in zip(ids, raws, strict=True) if b"event_id" in raw)
    return out[:limit]


def get_dead(delivery_id: str) -> Delivery:
    """A dead-lettered delivery with its attempts; raises NotFoundError, or ValidationError if it is not dead."""
    delivery = get_delivery(delivery_id)
    if get_redis().zscore(Keys(get_settings()).dlq, delivery_id) is None:
        raise _not_dead(delivery)
    return delivery


def replay(delivery_id: str) -> Delivery:
    """Send a dead-lettered delivery again, now, with a fresh round of attempts; raises NotFoundError or ValidationError."""
    return _on_one_dead(delivery_id, _requeue)


def _on_one_dead(delivery_id: str, action: Any) -> Delivery:
    get_delivery(delivery_id, with_attempts=False)  # NotFoundError first, for an unknown id
    if not _transact(_keys(), [delivery_id], action, only_dead=True):
        raise _not_dead(get_delivery(delivery_id, with_attempts=False))
    return get_delivery(delivery_id)


def replay_many(*, webhook_id: str | None = None, all: bool = False) -> int:
    """Replay every dead-lettered delivery of one webhook, or all of them; returns how many; raises ValidationError."""
    return _for_each_dead(_requeue, webhook_id=webhook_id, all=all)


def purge(delivery_id: str) -> Delivery:
    """Drop a delivery from the DLQ, keeping its record and attempts (reason "purged"); raises NotFoundError or ValidationError."""
    return _on_one_dead(delivery_id, _purge)


def purge_many(*, webhook_id: str | None = None, all: bool = False) -> int:
    """Purge every dead-lettered delivery of one webhook, or all of them; returns how many; raises ValidationError."""
    return _for_each_dead(_purge, webhook_id=webhook_id, all=all)


def retry_now(delivery_id: str) -> Delivery:
    """Send any delivery again now (a delivered one too), out of the DLQ if it is there; raises NotFoundError.

    A delivery that is pending and already on the deliveries queue may then be attempted twice: receivers
    de-duplicate on `webhook-id`, which is the same for both.
    """
    get_delivery(delivery_id, with_attempts=False)
    if not _transact(_keys(), [delivery_id], _requeue, only_dead=False):
        raise NotFoundError(f"delivery {delivery_id} does not exist (or has expired).")
    return get_delivery(delivery_id)


def _requeue(pipe: Any, keys: Keys, delivery_id: str, now: float) -> None:
    key = keys.delivery(delivery_id)
    pipe.zrem(keys.dlq, delivery_id)
    # a delivery parked behind an open breaker would otherwise be released a second time later
    pipe.zrem(keys.waiting(_webhook_of(delivery_id)), delivery_id)
    pipe.hset(key, mapping={"status": "pending", "round_attempts": 0, "reason": "", "next_attempt_at": now,
                            "dead_lettered_at": "", "updated_at": now})  # fmt: skip
    pipe.hincrby(key, "replays", 1)  # the attempt log's `round` and `replay` come from this
    pipe.zadd(keys.retry, {delivery_id: now})  # due now: the scheduler makes it ready on its next poll


def _purge(pipe: Any, keys: Keys, delivery_id: str, now: float) -> None:
    pipe.zrem(keys.dlq, delivery_id)
    pipe.hset(keys.delivery(delivery_id), mapping={"reason": PURGED, "updated_at": now})


def _for_each_dead(action: Action, *, webhook_id: str | None, all: bool) -> int:
    if (webhook_id is None) == (not all):
        raise ValidationError("give either webhook_id or all=True (exactly one of them).")
    if webhook_id is not None and not isinstance(webhook_id, str):
        raise ValidationError(f"webhook_id: expected a string, got {type(webhook_id).__name__}.")
    keys = _keys()
    done = 0
    for chunk in _dead_chunks(get_redis(), keys, webhook_id, started=time.time()):
        done += len(_transact(keys, chunk, action, only_dead=True))
    return done


def _dead_chunks(client: redis.Redis, keys: Keys, webhook_id: str | None, started: float) -> Iterator[list[str]]:
    """The DLQ's ids in chunks; only those dead-lettered before `started`, so a replay that dies again is not looped on."""
    match = None if webhook_id is None else f"msg_*_{webhook_id.removeprefix('wh_')}"
    chunk: list[str] = []
    # ZSCAN returns every member present for the whole scan, while we remove members as we go
    for member, score in client.zscan_iter(keys.dlq, match=match, count=CHUNK):
        delivery_id = member.decode()
        if score > started or (webhook_id is not None and _webhook_of(delivery_id) != webhook_id):
            continue
        chunk.append(delivery_id)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _transact(keys: Keys, ids: list[str], action: Action, *, only_dead: bool) -> list[str]:
    """Apply `action` to the ids that still exist (and are dead, if asked) in one transaction; returns those ids."""
    client = get_redis()
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                # any change to a delivery (an attempt, a dead-lettering, another replay) rewrites its hash
                pipe.watch(*(keys.delivery(i) for i in ids))
                exists, dead = _lookup(client, keys, ids)
                chosen = [i for i, e, d in zip(ids, exists, dead, strict=True) if e and (d or not only_dead)]
                stale = [i for i, e, d in zip(ids, exists, dead, strict=True) if d and not e]
                now = time.time()
                pipe.multi()
                if stale:
                    pipe.zrem(keys.dlq, *stale)  # the record expired: nothing left to replay or purge
                for delivery_id in chosen:
                    action(pipe, keys, delivery_id, now)
                pipe.execute()
                return chosen
            except redis.WatchError:
                continue


def _lookup(client: redis.Redis, keys: Keys, ids: list[str]) -> tuple[list[bool], list[bool]]:
    with client.pipeline(transaction=False) as pipe:
        for i in ids:
            pipe.hexists(keys.delivery(i), "event_id")  # a hash without it is a remnant, not a delivery
            pipe.zscore(keys.dlq, i)
        results = pipe.execute()
    return [bool(r) for r in results[0::2]], [r is not None for r in results[1::2]]


def _not_dead(delivery: Delivery) -> ValidationError:
    return ValidationError(f"delivery {delivery.id} is not in the dead-letter queue (status {delivery.status}).")


def _webhook_of(delivery_id: str) -> str:
    try:
        return split_delivery_id(delivery_id)[1]
    except ValueError:
        return ""


def _keys() -> Keys:
    return Keys(get_settings())
