"""Reading the history: pages newest first by keyset (never OFFSET), and lookups by id that touch one partition.

Every listing orders by (time, id) and hands back an opaque cursor after its last row; the next page asks for
rows strictly before it, through an index that has that order. A delivery or event id encodes the event's time,
the partition key, so a lookup by id names its day partition and PostgreSQL reads no other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    Row,
    Select,
    Text,
    bindparam,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from hooks.errors import NotFoundError, ValidationError
from hooks.history.cursors import decode_cursor, encode_cursor
from hooks.history.partitions import existing_days
from hooks.history.records import STATUSES, AttemptRecord, DeliveryRecord, EventRecord, event_at_s
from hooks.history.tables import attempts, deliveries, events
from hooks.history.times import TimeLike, as_datetime, day_start, to_seconds

__all__ = [
    "MAX_LIMIT",
    "DeliveryDetail",
    "EventDetail",
    "dlq_ids_page",
    "get_delivery",
    "erase_event",
    "erase_stack",
    "get_event",
    "list_dead",
    "list_deliveries",
    "list_events",
    "mark_purged",
    "mark_replayed",
]

ERASE = update(events).values(body=None, concise_body=None, erased_at=func.coalesce(events.c.erased_at, func.now()))
MAX_LIMIT = 1000
MAX_IDS_LIMIT = 10_000
d, e, a = deliveries.c, events.c, attempts.c
EVENT_LIST_COLUMNS = [e.id, e.event_at, e.type, e.stack, e.branch, e.channels, e.erased_at]  # bodies: get_event


@dataclass(frozen=True)
class DeliveryDetail:
    """A delivery with all its attempts, first to last."""

    delivery: DeliveryRecord
    attempts: list[AttemptRecord]


@dataclass(frozen=True)
class EventDetail:
    """An event (with its bodies, unless erased) and its deliveries."""

    event: EventRecord
    deliveries: list[DeliveryRecord]


def list_deliveries(
    engine: Engine,
    *,
    webhook_id: str | None = None,
    event_id: str | None = None,
    status: str | None = None,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    limit: int = 50,
    cursor: str | None = None,
    stack: str | None = None,
) -> tuple[list[DeliveryRecord], str | None]:
    """A page of deliveries (of one stack, if given), newest event first, and the next page's cursor; raises ValidationError."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status: must be one of {', '.join(STATUSES)}, got {status!r}.")
    where: list[ColumnElement[bool]] = _time_range(d.event_at, since, until)
    if webhook_id is not None:
        where.append(d.webhook_id == webhook_id)
    if stack is not None:
        where.append(d.stack == stack)
    if status is not None:
        where.append(d.status == status)
    if event_id is not None:
        where += [d.event_id == event_id, d.event_at == _event_at(event_id, "event_id")]
    query = select(deliveries).where(*where)
    rows, more = _page(engine, query, d.event_at, d.id, "deliveries", limit, cursor)
    return [delivery_from_row(r) for r in rows], more


def list_dead(
    engine: Engine,
    *,
    webhook_id: str | None = None,
    since: TimeLike | None = None,
    limit: int = 50,
    cursor: str | None = None,
    stack: str | None = None,
) -> tuple[list[DeliveryRecord], str | None]:
    """A page of the dead-letter queue (of one stack, if given), newest dead-lettered first, and the next page's cursor."""
    query = select(deliveries).where(*_dead_filter(webhook_id, since, stack))
    rows, more = _page(engine, query, d.dead_lettered_at, d.id, "dead", limit, cursor)
    return [delivery_from_row(r) for r in rows], more


def dlq_ids_page(
    engine: Engine,
    *,
    webhook_id: str | None = None,
    since: TimeLike | None = None,
    limit: int = 1000,
    cursor: str | None = None,
    stack: str | None = None,
) -> tuple[list[str], str | None]:
    """A page of dead-lettered delivery ids (for replaying or purging in batches in constant memory)."""
    query = select(d.id, d.dead_lettered_at).where(*_dead_filter(webhook_id, since, stack))
    rows, more = _page(engine, query, d.dead_lettered_at, d.id, "dead", limit, cursor, max_limit=MAX_IDS_LIMIT)
    return [r.id for r in rows], more


def list_events(
    engine: Engine,
    *,
    stack: str | None = None,
    type: str | None = None,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[EventRecord], str | None]:
    """A page of events, newest first, without their bodies (`get_event` has them), and the next page's cursor."""
    where = _time_range(e.event_at, since, until)
    if stack is not None:
        where.append(e.stack == stack)
    if type is not None:
        where.append(e.type == type)
    query = select(*EVENT_LIST_COLUMNS).where(*where)
    rows, more = _page(engine, query, e.event_at, e.id, "events", limit, cursor)
    return [event_from_row(r) for r in rows], more


def get_delivery(engine: Engine, delivery_id: str) -> DeliveryDetail:
    """A delivery and its attempts in order; raises NotFoundError when there is none."""
    at = _lookup_time(delivery_id, "delivery")
    with engine.connect() as conn:
        row = conn.execute(select(deliveries).where(d.id == delivery_id, d.event_at == at)).first()
        if row is None:
            raise NotFoundError(f"no delivery {delivery_id!r} in the history")
        tries = conn.execute(
            select(attempts).where(a.delivery_id == delivery_id, a.event_at == at).order_by(a.attempt)
        ).all()
    return DeliveryDetail(delivery_from_row(row), [attempt_from_row(t) for t in tries])


def get_event(engine: Engine, event_id: str, *, deliveries_limit: int = MAX_LIMIT) -> EventDetail:
    """An event with its bodies and (up to `deliveries_limit` of) its deliveries; raises NotFoundError."""
    at = _lookup_time(event_id, "event")
    with engine.connect() as conn:
        row = conn.execute(select(events).where(e.id == event_id, e.event_at == at)).first()
        if row is None:
            raise NotFoundError(f"no event {event_id!r} in the history")
        query = select(deliveries).where(d.event_id == event_id, d.event_at == at).order_by(d.id)
        rows = conn.execute(query.limit(deliveries_limit)).all()
    return EventDetail(event_from_row(row), [delivery_from_row(r) for r in rows])


def mark_replayed(conn: Connection, ids: Sequence[str], replays: Sequence[int] | None = None) -> int:
    """Take deliveries out of the DLQ as replayed (pending, one more replay); returns how many were in it."""
    # `replays`: each one's count the replay was decided on; a row with another count is left alone. The replayed
    # round can fail and be archived as dead-lettered again (replays one higher) before this mark runs: marking that
    # row would take it out of the DLQ for good, with nothing in flight.
    return _mark(conn, ids, "status = 'pending', replays = d.replays + 1", replays)


def mark_purged(conn: Connection, ids: Sequence[str]) -> int:
    """Take deliveries out of the DLQ as purged (reason 'purged'); returns how many were in it."""
    return _mark(conn, ids, "reason = 'purged'")


def erase_event(engine: Engine, event_id: str) -> bool:
    """Null an event's bodies and stamp erased_at (kept from a first erasure); returns whether the event exists."""
    at = _lookup_time(event_id, "event")
    with engine.begin() as conn:
        found = conn.execute(ERASE.where(e.id == event_id, e.event_at == at))
    return bool(found.rowcount)


def erase_stack(engine: Engine, stack: str, before: TimeLike | None = None) -> int:
    """Erase every event of a stack (older than `before`), one day partition per transaction; returns how many."""
    with engine.connect() as conn:
        days = sorted(existing_days(conn), reverse=True)
    erased = 0
    for day in days:
        low, high = day_start(day), day_start(day + timedelta(days=1))
        if before is not None:
            high = min(high, as_datetime(before))
        if high <= low:
            continue
        query = ERASE.where(e.stack == stack, e.event_at >= low, e.event_at < high, e.erased_at.is_(None))
        with engine.begin() as conn:
            erased += conn.execute(query).rowcount
    return erased


def _mark(conn: Connection, ids: Sequence[str], change: str, replays: Sequence[int] | None = None) -> int:
    """Apply `change` to the deliveries `ids` still in the DLQ, each found in its own partition by its id's time."""
    # updated_at moves on by 1 us: a late copy of the dead-letter record (same updated_at) must not undo the mark,
    # while the next real state of the delivery (later) still replaces it
    if not ids:
        return 0
    ats = [_event_at(i, "ids") for i in ids]
    # the rows are locked in id order first, the order the archiver's upserts take too (writer.py): two
    # transactions touching the same deliveries then wait for each other instead of deadlocking
    reps = list(replays) if replays is not None else [None] * len(ids)
    query = text(
        "WITH locked AS (SELECT d.id, d.event_at FROM deliveries AS d JOIN unnest(:ids, :ats, :reps) AS u(id, at, reps) "
        "ON d.id = u.id AND d.event_at = u.at WHERE d.in_dlq AND (u.reps IS NULL OR d.replays = u.reps) "
        "ORDER BY d.id FOR UPDATE OF d) "
        f"UPDATE deliveries AS d SET in_dlq = false, {change}, updated_at = d.updated_at + interval '1 microsecond' "
        "FROM locked WHERE d.id = locked.id AND d.event_at = locked.event_at AND d.in_dlq"
    ).bindparams(bindparam("ids", type_=ARRAY(Text)), bindparam("ats", type_=ARRAY(DateTime(timezone=True))),
                 bindparam("reps", type_=ARRAY(Integer)))  # fmt: skip
    return conn.execute(query, {"ids": list(ids), "ats": ats, "reps": reps}).rowcount


def _page(
    engine: Engine,
    query: Select[Any],
    time_col: ColumnElement[datetime],
    id_col: ColumnElement[str],
    listing: str,
    limit: int,
    cursor: str | None,
    *,
    max_limit: int = MAX_LIMIT,
) -> tuple[Sequence[Row[Any]], str | None]:
    """Run `query` for one page newest first by (time, id) after `cursor`; the rows and the next page's cursor."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= max_limit:
        raise ValidationError(f"limit: must be an integer from 1 to {max_limit}.")
    if cursor is not None:
        at, last_id = decode_cursor(listing, cursor)
        # the plain bound lets PostgreSQL skip newer partitions; the row comparison is the exact keyset
        query = query.where(time_col <= at, tuple_(time_col, id_col) < tuple_(at, last_id))
    query = query.order_by(time_col.desc(), id_col.desc()).limit(limit + 1)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]._mapping
    return rows[:limit], encode_cursor(listing, last[time_col], last[id_col])


def _dead_filter(webhook_id: str | None, since: TimeLike | None,
                 stack: str | None = None) -> list[ColumnElement[bool]]:  # fmt: skip
    """The rows of the dead-letter queue (the partial indexes' predicate), of a webhook, since a time, of a stack."""
    where: list[ColumnElement[bool]] = [d.in_dlq]  # as written, so the planner matches the partial indexes
    if webhook_id is not None:
        where.append(d.webhook_id == webhook_id)
    if stack is not None:
        where.append(d.stack == stack)
    if since is not None:
        where.append(d.dead_lettered_at >= as_datetime(since))
    return where


def _time_range(column: ColumnElement[datetime], since: TimeLike | None, until: TimeLike | None) -> list[Any]:
    """[since, until) on `column`; either end may be open."""
    where = []
    if since is not None:
        where.append(column >= as_datetime(since))
    if until is not None:
        where.append(column < as_datetime(until))
    return where


def _event_at(any_id: str, field: str) -> datetime:
    """The partition key an id encodes; raises ValidationError naming `field` when it is not such an id."""
    try:
        return as_datetime(event_at_s(any_id))
    except ValueError:
        raise ValidationError(f"{field}: not an id this system made: {any_id!r}.") from None


def _lookup_time(any_id: str, what: str) -> datetime:
    """The partition key of an id looked up; an id that encodes no time names nothing: NotFoundError."""
    try:
        return as_datetime(event_at_s(any_id))
    except ValueError:
        raise NotFoundError(f"no {what} {any_id!r} in the history") from None


def _seconds(row: Any, *names: str) -> dict[str, float | None]:
    return {name: to_seconds(row[name]) for name in names}


def delivery_from_row(row: Row[Any]) -> DeliveryRecord:
    m = row._mapping
    values = {c.key: m[c.key] for c in deliveries.c if c.key != "event_at"}
    values.update(_seconds(m, "created_at", "updated_at", "next_attempt_at", "dead_lettered_at"))
    return DeliveryRecord(**values)


def attempt_from_row(row: Row[Any]) -> AttemptRecord:
    m = row._mapping
    values = {c.key: m[c.key] for c in attempts.c if c.key != "event_at"}
    values.update(_seconds(m, "started_at"))
    return AttemptRecord(**values)


def event_from_row(row: Row[Any]) -> EventRecord:
    m = row._mapping
    values = {c.key: m[c.key] for c in events.c if c.key in m and c.key != "event_at"}
    values.update(_seconds(m, "erased_at"))
    return EventRecord(**values)
