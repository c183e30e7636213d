"""Reading deliveries and their attempts: Redis for what is in flight, the history (PostgreSQL) for the rest.

A delivery in flight is a Redis hash that also keeps its last attempt until the archiver has it; once finished
it stays readable there for `HOOKS_FINISHED_TTL_S`, and the history has it from the moment the archiver wrote
it. Reads merge both, the newer copy winning (`newer`). Listings page by cursor over both sources at
once: delivery ids sort by their event's time, so one keyset (the last id shown) pages the Redis indexes (by
lex) and the history (by time and id) alike, and nothing is loaded whole.
"""

from __future__ import annotations

import json
from typing import Any

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
        raise NotFoundError(f"delivery {delivery_id} does not exist{_backlog_hint(settings)}.")
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
) -> Page[Delivery]:
    """A page of deliveries, newest event first, filtered; raises ValidationError or HistoryUnavailableError."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status: must be one of {', '.join(STATUSES)}, got {status!r}.")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise ValidationError("limit: must be an integer from 1 to 1000.")
    settings = get_settings()
    before = decode_cursor(LISTING, cursor)[1] if cursor else None
    live, live_more = _in_flight(settings, webhook_id, event_id, status, limit, before)
    try:
        old, old_more = history_deliveries(get_engine(settings), webhook_id=webhook_id, event_id=event_id,
                                           status=status, limit=limit, cursor=cursor)  # fmt: skip
    except UNREACHABLE as exc:
        raise unavailable(exc) from None
    merged = {d.id: d for d in map(from_record, old)}
    for d in live:
        merged[d.id] = newer(d, merged.get(d.id))
    items = [merged[i] for i in sorted(merged, reverse=True)]
    page = items[:limit]
    more = len(items) > limit or live_more or old_more is not None
    return Page(
        page, encode_cursor(LISTING, as_datetime(event_at_s(page[-1].id)), page[-1].id) if more and page else None
    )


def newer(live: Delivery | None, stored: Delivery | None) -> Delivery:
    """The newer of the Redis and the history's copy of a delivery (Redis on a tie: it is where work happens).

    The history is newer only when an operator changed a finished delivery there (a purge) within the moments
    its Redis copy stays readable.
    """
    if live is None or (stored is not None and stored.updated_at > live.updated_at):
        assert stored is not None
        return stored
    return live


def _in_flight(settings: Settings, webhook_id: str | None, event_id: str | None, status: str | None, limit: int,
               before: str | None) -> tuple[list[Delivery], bool]:  # fmt: skip
    """Up to `limit` deliveries from the Redis indexes, ids below `before`, matching; and whether more may follow."""
    keys, client = Keys(settings), get_redis(settings)
    index = (keys.deliveries_by_event(event_id) if event_id else
             keys.deliveries_by_webhook(webhook_id) if webhook_id else keys.deliveries_all)  # fmt: skip
    out: list[Delivery] = []
    high = f"({before}" if before else "+"
    while len(out) < limit:
        ids = decoded(client.zrevrangebylex(index, high, "-", start=0, num=_SCAN))
        if not ids:
            return out, False
        high = f"({ids[-1]}"
        for d in _read(client, keys, ids):
            if (webhook_id is None or d.webhook_id == webhook_id) and (status is None or d.status == status):
                out.append(d)
    return out[:limit], True


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


def _backlog_hint(settings: Settings) -> str:
    """Why a finished delivery may not be found yet: the archiver is behind."""
    waiting = backlog(get_redis(settings), Keys(settings))
    return f" (or it is finished and not archived yet: the history backlog is {waiting})" if waiting.entries else ""


def _check_id(delivery_id: Any) -> None:
    try:
        split_delivery_id(delivery_id)
    except (ValueError, AttributeError):
        raise NotFoundError(f"delivery {delivery_id!r} does not exist (ids look like msg_01J..._01J...).") from None
