"""The dead-letter queue, kept in the history: list, show, replay, purge, and the Retry button for any delivery.

A dead-lettered delivery is a row of `deliveries` with `in_dlq` (PostgreSQL, with its attempts and its event's
payload). Replaying puts it back in flight in Redis (`replay.lua`): the same id, so the same `webhook-id` for
receivers to dedupe on, a fresh round of attempts, `replays` one higher; the event comes back from the history
if it had left Redis. Then the history marks it replayed. Redis goes first: a replay interrupted in between is
sent and its next record corrects the history, while two replays at once put it in flight once (the script
leaves a pending delivery alone). Many are replayed or purged a page at a time, in constant memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from hooks.deliveries.page import Page
from hooks.deliveries.query import get_delivery
from hooks.errors import NotFoundError, ValidationError
from hooks.history import dlq_ids_page, mark_purged, mark_replayed
from hooks.history import list_dead as history_dead
from hooks.history.bulk import deliveries_by_ids, events_by_ids
from hooks.history.connection import UNREACHABLE, get_engine, unavailable
from hooks.metrics.counters import uncount_replayed
from hooks.models.delivery import Delivery, from_record, parse_delivery
from hooks.models.ids import split_delivery_id
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from hooks.store.kick import kick_args
from hooks.store.scripts import beside

PAGE = 1000
_REPLAY = beside(__file__, "replay")


def list_dead(*, webhook_id: str | None = None, since: float | None = None, limit: int = 100,
              cursor: str | None = None, stack: str | None = None) -> Page[Delivery]:  # fmt: skip
    """A page of dead-lettered deliveries, newest first, of one webhook and/or since a Unix time and/or of a stack.

    Raises ValidationError on a bad argument, HistoryUnavailableError when the database does not answer.
    """
    if since is not None and (not isinstance(since, int | float) or isinstance(since, bool)):
        raise ValidationError(f"since: expected a Unix time in seconds, got {type(since).__name__}.")
    rows, more = _history(lambda engine: history_dead(engine, webhook_id=webhook_id, since=since, limit=limit,
                                                      cursor=cursor, stack=stack))  # fmt: skip
    return Page(map(from_record, rows), more)


def get_dead(delivery_id: str) -> Delivery:
    """A dead-lettered delivery with its attempts; raises NotFoundError, or ValidationError if it is not dead."""
    delivery = get_delivery(delivery_id)
    if not delivery.in_dlq:
        raise _not_dead(delivery)
    return delivery


def replay(delivery_id: str) -> Delivery:
    """Send a dead-lettered delivery again, now, with a fresh round of attempts; raises NotFoundError or ValidationError."""
    delivery = get_delivery(delivery_id, with_attempts=False)  # NotFoundError first, for an unknown id
    if not delivery.in_dlq or not _requeue([delivery_id], only_dead=True, strict=True):
        raise _not_dead(get_delivery(delivery_id, with_attempts=False))
    return get_delivery(delivery_id)


def replay_many(*, webhook_id: str | None = None, all: bool = False, stack: str | None = None) -> int:
    """Replay every dead-lettered delivery of one webhook, or all of them (of one stack, if given), a page at a
    time; returns how many."""
    return _for_each_page(lambda ids: len(_requeue(ids, only_dead=True)), webhook_id=webhook_id, all=all,
                          stack=stack)  # fmt: skip


def purge(delivery_id: str) -> Delivery:
    """Drop a delivery from the DLQ, keeping its record and attempts (reason "purged"); raises NotFoundError or ValidationError."""
    delivery = get_delivery(delivery_id, with_attempts=False)
    if not _purge([delivery_id]):
        raise _not_dead(delivery)
    return get_delivery(delivery_id)


def purge_many(*, webhook_id: str | None = None, all: bool = False, stack: str | None = None) -> int:
    """Purge every dead-lettered delivery of one webhook, or all of them (of one stack, if given), a page at a
    time; returns how many."""
    return _for_each_page(_purge, webhook_id=webhook_id, all=all, stack=stack)


def retry_now(delivery_id: str) -> Delivery:
    """Send any delivery again now (a delivered one too), out of the DLQ if it is there; raises NotFoundError.

    A delivery still pending is scheduled due now; it may then be attempted twice: receivers de-duplicate on
    `webhook-id`, which is the same for both.
    """
    settings = get_settings()
    delivery = get_delivery(delivery_id, with_attempts=False)
    if delivery.status == "pending":
        get_redis(settings).zadd(Keys(settings).retry, {delivery_id: time.time()})
    elif not _requeue([delivery_id], only_dead=False, strict=True):
        raise NotFoundError(f"delivery {delivery_id} cannot be sent again: its event is no longer stored.")
    return get_delivery(delivery_id)


def _requeue(ids: Sequence[str], *, only_dead: bool, strict: bool = False) -> list[str]:
    """Put these finished deliveries back in flight (in Redis, then marked in the history); returns those put back.

    One whose event's payload was erased is left out (raises ValidationError instead when `strict`).
    """
    settings = get_settings()
    client = get_redis(settings)
    keys = Keys(settings)
    stored = _history(lambda engine: deliveries_by_ids(engine, ids))
    events = _history(lambda engine: events_by_ids(engine, sorted({split_delivery_id(i)[0] for i in ids})))
    args: list[Any] = []
    sources: dict[str, Delivery] = {}
    for delivery_id in ids:
        # from the DLQ, the history's row is what was decided on: a Redis copy newer than it (replayed since)
        # makes the script leave the delivery alone
        if only_dead:
            record = stored.get(delivery_id)
            source = from_record(record) if record is not None and record.in_dlq else None
        else:
            source = _latest(client, keys, delivery_id, stored)
        if source is None:
            continue
        event = events.get(source.event_id)
        if event is not None and event.body is None:
            if strict:
                raise ValidationError(f"delivery {delivery_id} cannot be sent again: its event's payload was erased.")
            continue
        args += [delivery_id, *_replay_args(source, event)]
        sources[delivery_id] = source
    if not args:
        return []
    back = [i.decode() for i in _REPLAY.run(client, *kick_args(settings, time.time()), _ttl(settings), *args)]
    uncount_replayed(client, settings, [sources[i] for i in back])  # counted again when this round ends, not twice
    # only the rows still at the count the replay was decided on: a round already dead-lettered again stays in the DLQ
    counts = [sources[i].replays for i in back]
    _history(lambda engine: _mark(engine, lambda conn, ids: mark_replayed(conn, ids, counts), back))
    return back


def _latest(client: Any, keys: Keys, delivery_id: str, stored: dict[str, Any]) -> Delivery | None:
    """The delivery's newest state: Redis (finished a moment ago, not archived yet) or the history."""
    raw = client.hgetall(keys.delivery(delivery_id))
    if raw:
        return parse_delivery(delivery_id, raw)
    record = stored.get(delivery_id)
    return from_record(record) if record is not None else None


def _replay_args(d: Delivery, event: Any) -> list[Any]:
    """The replay script's values after the id: counters and last result, then the event if Redis needs it back."""
    head = [d.attempts, d.replays, d.created_at, d.last_status or "", d.last_error or ""]
    if event is None:  # still in Redis (not archived yet); the script does not read these then
        return [*head, "", "", "", "", "", ""]
    return [*head, event.type, event.stack, event.branch, ",".join(event.channels), event.body or "",
            event.concise_body or ""]  # fmt: skip


def _purge(ids: Sequence[str]) -> int:
    return _history(lambda engine: _mark(engine, mark_purged, ids))


def _mark(engine: Any, mark: Callable[[Any, Sequence[str]], int], ids: Sequence[str]) -> int:
    if not ids:
        return 0
    with engine.begin() as conn:
        return mark(conn, ids)


def _for_each_page(action: Callable[[list[str]], int], *, webhook_id: str | None, all: bool,
                   stack: str | None) -> int:  # fmt: skip
    if (webhook_id is None) == (not all):
        raise ValidationError("give either webhook_id or all=True (exactly one of them).")
    if webhook_id is not None and not isinstance(webhook_id, str):
        raise ValidationError(f"webhook_id: expected a string, got {type(webhook_id).__name__}.")
    done, cursor = 0, None
    while True:  # newest first: what is dead-lettered again meanwhile sorts before the cursor, never looped on
        ids, cursor = _history(partial(dlq_ids_page, webhook_id=webhook_id, limit=PAGE, cursor=cursor, stack=stack))
        done += action(ids) if ids else 0
        if cursor is None:
            return done


def _history(read: Callable[[Any], Any]) -> Any:
    """Run `read` with the history's engine; a database that does not answer is one clear error."""
    try:
        return read(get_engine())
    except UNREACHABLE as exc:
        raise unavailable(exc) from None


def _ttl(settings: Settings) -> int:
    return int(settings.retention_days * 86400)


def _not_dead(delivery: Delivery) -> ValidationError:
    return ValidationError(f"delivery {delivery.id} is not in the dead-letter queue (status {delivery.status}).")
