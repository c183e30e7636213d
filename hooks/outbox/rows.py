"""The outbox's rows on the relay's side: taking a batch, checking each row again, finishing the batch.

On PostgreSQL a batch is claimed by one statement, `DELETE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
RETURNING ...`, in the transaction that publishes it: several relays share the table without taking the same
row, and a relay that dies before its commit gives the rows back. MySQL takes them `FOR UPDATE SKIP LOCKED` and
deletes them after the Redis call, in the same transaction. SQLite has no row locks: its rows are read in one
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


def claims_by_delete(conn: Connection) -> bool:
    """Whether `take` deletes the rows it returns (PostgreSQL), so that `finish` need not."""
    return conn.dialect.name == "postgresql"


def take(conn: Connection, limit: int) -> list[Row[Any]]:
    """The oldest `limit` rows no other relay holds, oldest first (locked, or deleted on PostgreSQL, until the
    transaction ends, where the database can)."""
    oldest = select(outbox.c.id).order_by(outbox.c.id).limit(limit)
    if claims_by_delete(conn):
        claimed = delete(outbox).where(outbox.c.id.in_(oldest.with_for_update(skip_locked=True).scalar_subquery()))
        return sorted(conn.execute(claimed.returning(*_COLUMNS)).all(), key=lambda row: row.id)
    stmt = select(*_COLUMNS).order_by(outbox.c.id).limit(limit)
    if conn.dialect.name in LOCKING:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(conn.execute(stmt).all())


def publish_values(row: Row[Any]) -> tuple[str, ...]:
    """The row as the publish script's nine values; its idempotency key defaults to one made of its event id, so
    a row published again (a relay killed before its delete) is not stored twice."""
    _, event_id, key, event_type, stack, branch, channels, event_time, body, concise = tuple(row)  # take()'s columns
    return (event_id, key or f"outbox:{event_id}", event_type, stack, branch, channels or "", event_time, body,
            concise)  # fmt: skip


def runs_by_key_kind(batch: Sequence[Row[Any]]) -> list[list[Row[Any]]]:
    """The batch cut, in order, into runs of rows that carry the app's own idempotency key and rows that do not
    (one Redis call a run; most batches are one run)."""
    runs: list[list[Row[Any]]] = []
    for row in batch:
        if runs and (runs[-1][0].idempotency_key is None) == (row.idempotency_key is None):
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def problem(row: Row[Any], settings: Settings, seen: dict[tuple[Any, ...], str | None] | None = None) -> str | None:
    """Why the row can never be published as it stands (checked again: settings change, and anyone may write the
    table), or None. `seen` remembers the names already checked in this batch (a batch repeats a few types)."""
    names = (row.event_type, row.stack, row.branch, row.channels)
    if seen is None or names not in seen:
        found = _names_problem(*names)
        if seen is None:
            return found or _size_problem(row, settings)
        seen[names] = found
    return seen[names] or _size_problem(row, settings)


def _names_problem(event_type: Any, stack: Any, branch: Any, channels: Any) -> str | None:
    try:
        check_event_type(event_type, "event_type")
        check_name(stack, "stack")
        check_name(branch, "branch")
        for i, channel in enumerate(filter(None, (channels or "").split(","))):
            check_event_type(channel, f"channels[{i}]")
    except ValidationError as exc:
        return str(exc)
    return None


def _size_problem(row: Row[Any], settings: Settings) -> str | None:
    if not isinstance(row.body, str) or not isinstance(row.concise_body, str) or not row.event_id:
        return "malformed row (body, concise_body and event_id must be set)."
    if len(row.body) * 4 <= settings.max_event_bytes:  # UTF-8 takes at most 4 bytes a character
        return None
    size = len(row.body.encode())
    if size > settings.max_event_bytes:
        return (
            f"data: the event serializes to {size} bytes, over the limit of {settings.max_event_bytes} "
            "(HOOKS_MAX_EVENT_BYTES)."
        )
    return None


def finish(conn: Connection, done: Sequence[int], bad: Sequence[tuple[Row[Any], str]]) -> None:
    """Delete the published rows (unless `take` did) and move the bad ones aside, each with its error."""
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
    if ids and not claims_by_delete(conn):
        conn.execute(_DELETE, {"ids": ids})


def waiting(conn: Connection, cap: int = 100_000) -> tuple[int, str | None, int]:
    """Rows waiting (counted up to `cap`), the oldest one's event time, and the failed rows (also capped)."""
    count = conn.execute(select(func.count()).select_from(select(outbox.c.id).limit(cap).subquery())).scalar_one()
    oldest = conn.execute(select(outbox.c.event_time).order_by(outbox.c.id).limit(1)).scalar()
    bad = conn.execute(select(func.count()).select_from(select(failed.c.id).limit(cap).subquery())).scalar_one()
    return int(count), oldest, int(bad)
