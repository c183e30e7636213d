"""The outbox's rows on the relay's side: taking a batch, checking each row again, finishing the batch.

On PostgreSQL and MySQL the rows are taken `FOR UPDATE SKIP LOCKED` in the transaction that deletes them, so
several relays share the table without taking the same row. SQLite has no row locks: its rows are read in one
short transaction and deleted in another, so the app's writers never wait on a Redis call; two relays there may
both publish a row, which the idempotency key turns into one event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select

from hooks.errors import ValidationError
from hooks.models.rules import check_event_type, check_name
from hooks.outbox.tables import EVENT_COLUMNS, failed, outbox
from hooks.settings import Settings

LOCKING = ("postgresql", "mysql", "mariadb")

_COLUMNS = [outbox.c.id, *(outbox.c[name] for name in EVENT_COLUMNS)]
_DELETE = delete(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True)))


def take(conn: Connection, limit: int) -> Sequence[Row[Any]]:
    """The oldest `limit` rows no other relay holds, oldest first (locked until the transaction ends, where the
    database can)."""
    stmt = select(*_COLUMNS).order_by(outbox.c.id).limit(limit)
    if conn.dialect.name in LOCKING:
        stmt = stmt.with_for_update(skip_locked=True)
    return conn.execute(stmt).all()


def publish_values(row: Row[Any]) -> tuple[str, ...]:
    """The row as the publish script's nine values; its idempotency key defaults to one made of its event id, so
    a row published again (a relay killed before its delete) is not stored twice."""
    return (
        row.event_id,
        row.idempotency_key or f"outbox:{row.event_id}",
        row.event_type,
        row.stack,
        row.branch,
        row.channels or "",
        row.event_time,
        row.body,
        row.concise_body,
    )


def problem(row: Row[Any], settings: Settings) -> str | None:
    """Why the row can never be published as it stands (checked again: settings change, and anyone may write the
    table), or None."""
    try:
        check_event_type(row.event_type, "event_type")
        check_name(row.stack, "stack")
        check_name(row.branch, "branch")
        for i, channel in enumerate(filter(None, (row.channels or "").split(","))):
            check_event_type(channel, f"channels[{i}]")
        size = len(row.body.encode())
        if size > settings.max_event_bytes:
            raise ValidationError(
                f"data: the event serializes to {size} bytes, over the limit of "
                f"{settings.max_event_bytes} (HOOKS_MAX_EVENT_BYTES)."
            )
    except (ValidationError, AttributeError, TypeError) as exc:
        return str(exc) if isinstance(exc, ValidationError) else f"malformed row ({exc})."
    return None


def finish(conn: Connection, done: Sequence[int], bad: Sequence[tuple[Row[Any], str]]) -> None:
    """Delete the published rows and move the bad ones aside, each with its error."""
    if bad:
        now = dt.datetime.now(dt.timezone.utc)
        conn.execute(
            insert(failed),
            [
                {"id": row.id, **{c: getattr(row, c) for c in EVENT_COLUMNS}, "error": error[:2000], "failed_at": now}
                for row, error in bad
            ],
        )
    ids = [*done, *(row.id for row, _ in bad)]
    if ids:
        conn.execute(_DELETE, {"ids": ids})


def waiting(conn: Connection, cap: int = 100_000) -> tuple[int, str | None, int]:
    """Rows waiting (counted up to `cap`), the oldest one's event time, and the failed rows (also capped)."""
    count = conn.execute(select(func.count()).select_from(select(outbox.c.id).limit(cap).subquery())).scalar_one()
    oldest = conn.execute(select(outbox.c.event_time).order_by(outbox.c.id).limit(1)).scalar()
    bad = conn.execute(select(func.count()).select_from(select(failed.c.id).limit(cap).subquery())).scalar_one()
    return int(count), oldest, int(bad)
