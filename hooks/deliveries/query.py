"""Reading deliveries and their attempts: Redis for what is in flight, the history (PostgreSQL) for the rest.

A delivery in flight is a Redis hash that also keeps its last attempt until the archiver has it; once finished
it stays readable there for `HOOKS_FINISHED_TTL_S`, and the history has it from the moment the archiver wrote
it. Reads merge both, the newer copy winning (`newer`). Listings page by cursor over both sources at
once: delivery ids sort by their event's time, so one keyset (the last id shown) pages the Redis indexes (by
lex) and the history (by time and id) alike, and nothing is loaded whole.

A delivery belongs to its event's stack. Listing one stack's deliveries (`stack=`) filters the history on its
`stack` column and the Redis index by the events' `stack` fields, read in one pipeline per chunk of ids; the
Redis side reads at most `_STACK_SCAN` ids a page, so a page may end early (even empty) with a cursor to go on.
(The history's `stack` is the webhook's when the attempt was recorded: the event's, unless an operator moved the
webhook to another stack while the delivery was in flight.)
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import redis

from hooks.deliveries.page import Page
from hooks.errors import NotFoundError, ValidationError
from hooks.history import get_delivery as history_delivery
from hooks.history import list_deliveries as history_deliveries
from hooks.history.connection import UNREACHABLE, get_engine, unavailable
from hooks.history.cursors import decode_cursor, encode_cursor
from hooks.history.records import event_at_s
from hooks.history.times import as_datetime
from hooks.models.delivery import STATUSES, Delivery, from_record, parse_delivery
from hooks.models.ids import id_at, split_delivery_id
from hooks.settings import Settings, get_settings
from hooks.store.connection import decoded, get_redis
from hooks.store.keys import Keys
from hooks.store.stream import backlog

LISTING = "deliveries"
_SCAN = 200  # ids read from a Redis index at a time
_STACK_SCAN = 10 * _SCAN  # ids of other stacks passed over at most in one page of one stack's deliveries


def get_delivery(delivery_id: str, *, with_attempts: bool = True) -> Delivery:
    """A delivery and its attempts, first to last; raises NotFoundError or HistoryUnavailableError."""
    settings = get_settings()
    _check_id(delivery_id)
    raw: dict[bytes, bytes] = get_redis(settings).hgetall(Keys(settings).delivery(delivery_id))  # type: ignore[assignment]
    try:
        detail = history_delivery(get_engine(settings), delivery_id)
    except NotFoundError:
        detail = None
    except UNREACHABLE as exc:
        if not raw:
            raise unavailable(exc) from None
        detail = None  # in flight: Redis has its state and last attempt
    if not raw and detail is None:
        raise delivery_not_found(delivery_id)
    delivery = newer(
        parse_delivery(delivery_id, raw) if raw else None, from_record(detail.delivery) if detail else None
    )
    if with_attempts:
        attempts = {a.attempt: a.to_dict() for a in (detail.attempts if detail else [])}
        if raw.get(b"last_attempt"):
            last = json.loads(raw[b"last_attempt"])
            attempts[last["attempt"]] = last
        delivery.attempt_log = [attempts[n] for n in sorted(attempts)]
    return delivery


def list_deliveries(
    *,
    webhook_id: str | None = None,
    event_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
    stack: str | None = None,
) -> Page[Delivery]:
    """A page of deliveries, newest event first, filtered (`stack`: of that stack's events only); raises
    ValidationError or HistoryUnavailableError."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status: must be one of {', '.join(STATUSES)}, got {status!r}.")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise ValidationError("limit: must be an integer from 1 to 1000.")
    settings = get_settings()
    before = decode_cursor(LISTING, cursor)[1] if cursor else None
    live, live_more, floor = _in_flight(settings, Filters(webhook_id, event_id, status, stack), limit, before)
    try:
        old, old_more = history_deliveries(get_engine(settings), webhook_id=webhook_id, event_id=event_id,
                                           status=status, limit=limit, cursor=cursor, stack=stack)  # fmt: skip
    except UNREACHABLE as exc:
        raise unavailable(exc) from None
    merged = {d.id: d for d in map(from_record, old) if floor is None or d.id > floor}
    for d in live:
        merged[d.id] = newer(d, merged.get(d.id))
    items = [merged[i] for i in sorted(merged, reverse=True)]
    page = items[:limit]
    more = len(items) > limit or live_more or old_more is not None
    # a page short of `limit` from a scan cut short goes on below the last id read, not below the last one shown
    last = floor if floor is not None and len(page) < limit else (page[-1].id if page else None)
    return Page(page, encode_cursor(LISTING, as_datetime(event_at_s(last)), last) if more and last else None)


def newer(live: Delivery | None, stored: Delivery | None) -> Delivery:
    """The newer of the Redis and the history's copy of a delivery (Redis on a tie: it is where work happens).

    The history is newer only when an operator changed a finished delivery there (a purge) within the moments
    its Redis copy stays readable.
    """
    if live is None or (stored is not None and stored.updated_at > live.updated_at):
        assert stored is not None
        return stored
    return live


class Filters(NamedTuple):
    """What a listing of deliveries keeps."""

    webhook_id: str | None
    event_id: str | None
    status: str | None
    stack: str | None

    def keeps(self, d: Delivery) -> bool:
        """Whether the delivery passes the webhook and status filters (the index read did the event's)."""
        return (self.webhook_id is None or d.webhook_id == self.webhook_id) and (
            self.status is None or d.status == self.status
        )


def _in_flight(settings: Settings, f: Filters, limit: int,
               before: str | None) -> tuple[list[Delivery], bool, str | None]:  # fmt: skip
    """Up to `limit` deliveries from the Redis indexes, ids below `before`, matching; whether more may follow; and
    the lowest id read when a stack's scan stopped at `_STACK_SCAN` ids (none below it was looked at), else None."""
    keys, client = Keys(settings), get_redis(settings)
    index = (keys.deliveries_by_event(f.event_id) if f.event_id else
             keys.deliveries_by_webhook(f.webhook_id) if f.webhook_id else keys.deliveries_all)  # fmt: skip
    out: list[Delivery] = []
    high, scanned = f"({before}" if before else "+", 0
    while len(out) < limit:
        if f.stack is not None and scanned >= _STACK_SCAN:
            return out, True, high[1:]
        ids = decoded(client.zrevrangebylex(index, high, "-", start=0, num=_SCAN))
        if not ids:
            return out, False, None
        high, scanned = f"({ids[-1]}", scanned + len(ids)
        if f.stack is not None:
            stacks = event_stacks(client, keys, ids)
            ids = [i for i in ids if stacks.get(split_delivery_id(i)[0]) == f.stack]
        out += [d for d in _read(client, keys, ids) if f.keeps(d)]
    return out[:limit], True, None


def event_stacks(client: redis.Redis, keys: Keys, delivery_ids: list[str]) -> dict[str, str]:
    """The stacks of these deliveries' events that Redis still has, by event id (one pipelined read)."""
    events = sorted({split_delivery_id(i)[0] for i in delivery_ids})
    with client.pipeline(transaction=False) as pipe:
        for e in events:
            pipe.hget(keys.event(e), "stack")
        stacks = pipe.execute()
    return {e: s.decode() for e, s in zip(events, stacks, strict=True) if s is not None}


def _read(client: redis.Redis, keys: Keys, ids: list[str]) -> list[Delivery]:
    with client.pipeline(transaction=False) as pipe:
        for i in ids:
            pipe.hgetall(keys.delivery(i))
        raws = pipe.execute()
    return [parse_delivery(i, raw) for i, raw in zip(ids, raws, strict=True) if raw]


def prune_indexes(client: redis.Redis, settings: Settings, now_s: float) -> None:
    """Drop index entries older than the retention (a safety net: the archiver removes finished ones)."""
    keys = Keys(settings)
    cutoff = now_s - settings.retention_days * 86400
    for index, prefix in ((keys.deliveries_all, "msg_"), (keys.events_all, "evt_")):
        client.zremrangebylex(index, "-", f"({prefix}{id_at(cutoff)}")


def delivery_not_found(delivery_id: str, *, hint: bool = True) -> NotFoundError:
    """The error of an unknown delivery id (scope checks raise the very same one for another stack's); `hint`
    False leaves out the history backlog, a figure of every stack that a tenant's caller is not told."""
    settings = get_settings()
    return NotFoundError(f"delivery {delivery_id} does not exist{_backlog_hint(settings) if hint else ''}.")


def delivery_exists(delivery_id: str) -> bool:
    """Whether Redis or the history has the delivery; raises HistoryUnavailableError when only the history could
    say and does not answer."""
    settings = get_settings()
    if get_redis(settings).exists(Keys(settings).delivery(delivery_id)):
        return True
    try:
        history_delivery(get_engine(settings), delivery_id)
    except NotFoundError:
        return False
    except UNREACHABLE as exc:
        raise unavailable(exc) from None
    return True


def _backlog_hint(settings: Settings) -> str:
    """Why a finished delivery may not be found yet: the archiver is behind."""
    waiting = backlog(get_redis(settings), Keys(settings))
    return f" (or it is finished and not archived yet: the history backlog is {waiting})" if waiting.entries else ""


def _check_id(delivery_id: Any) -> None:
    try:
        split_delivery_id(delivery_id)
    except (ValueError, AttributeError):
        raise NotFoundError(f"delivery {delivery_id!r} does not exist (ids look like msg_01J..._01J...).") from None
