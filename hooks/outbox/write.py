"""`hooks.outbox.publish`: write an event into the app's outbox table, inside the app's own transaction.

The event is validated and built exactly as `publish_event` builds it (same ValidationError), then written with
one INSERT on the connection given: it commits or rolls back with the caller's changes, and the relay publishes
it to Redis once it is committed. Connections: SQLAlchemy `Connection` or `Session` (Flask-SQLAlchemy's
`db.session` too), psycopg 3 `Connection`, sqlite3 `Connection`. Django: `hooks.contrib.django.publish_event`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from hooks.errors import ValidationError
from hooks.models.event import Event, build_event
from hooks.outbox.tables import EVENT_COLUMNS, OUTBOX_TABLE, outbox
from hooks.producer.publish import build_items
from hooks.settings import get_settings

__all__ = ["insert_sql", "publish", "publish_many", "row_of"]


def publish(
    conn: Any,
    event_type: str,
    data: Mapping[str, Any],
    *,
    stack: str = "default",
    branch: str = "main",
    channels: Iterable[str] = (),
    summary: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> str:
    """Write one event into the outbox on `conn`, in its transaction; returns the event's id.

    The options are `publish_event`'s. Raises ValidationError (a ValueError) naming the bad field, nothing
    written then; a database error is the caller's, as for any INSERT of theirs.
    """
    writer = _writer(conn)
    event = build_event(
        event_type,
        data,
        stack=stack,
        branch=branch,
        channels=channels,
        summary=summary,
        idempotency_key=idempotency_key,
        max_bytes=get_settings().max_event_bytes,
    )
    writer(conn, [row_of(event)])
    return event.id


def publish_many(conn: Any, events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Write many events in one statement on `conn`, all or none; returns their ids in order.

    Each item is a mapping of `publish_event`'s arguments, as for `publish_events`. Raises ValidationError naming
    the item and field (nothing written then).
    """
    writer = _writer(conn)
    built = build_items(events, get_settings())
    if built:
        writer(conn, [row_of(event) for event in built])
    return [event.id for event in built]


def row_of(event: Event) -> dict[str, Any]:
    """The outbox row of a built event (its columns by name)."""
    return {
        "event_id": event.id,
        "idempotency_key": event.idempotency_key,
        "event_type": event.type,
        "stack": event.stack,
        "branch": event.branch,
        "channels": ",".join(event.channels),
        "event_time": event.timestamp,
        "body": event.body.decode(),
        "concise_body": event.concise_body.decode(),
    }


def insert_sql(placeholder: str = "%s") -> str:
    """The INSERT of one row, for DB-API cursors (`%s` for psycopg and Django, `?` for sqlite3)."""
    marks = ", ".join([placeholder] * len(EVENT_COLUMNS))
    return f"INSERT INTO {OUTBOX_TABLE} ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})"


_PG_INSERT = insert_sql("%s")
_SQLITE_INSERT = insert_sql("?")


def _sqlalchemy(conn: Any, rows: list[dict[str, Any]]) -> None:
    conn.execute(outbox.insert(), rows)


def _psycopg(conn: Any, rows: list[dict[str, Any]]) -> None:
    params = [tuple(row[c] for c in EVENT_COLUMNS) for row in rows]
    if len(params) == 1:
        conn.execute(_PG_INSERT, params[0])
    else:
        with conn.cursor() as cursor:
            cursor.executemany(_PG_INSERT, params)  # psycopg 3 pipelines them: one round trip


def _sqlite(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    conn.executemany(_SQLITE_INSERT, [tuple(row[c] for c in EVENT_COLUMNS) for row in rows])


def _writer(conn: Any) -> Any:
    """The function that inserts rows on this kind of connection; raises ValidationError naming `conn`."""
    kind = type(conn)
    modules = {c.__module__.split(".")[0] for c in kind.__mro__}
    if "sqlalchemy" in modules and hasattr(conn, "execute"):  # Connection, Session, scoped_session
        return _sqlalchemy
    if "psycopg" in modules:
        return _psycopg
    if isinstance(conn, sqlite3.Connection):
        return _sqlite
    raise ValidationError(
        f"conn: expected a SQLAlchemy Connection or Session, a psycopg 3 Connection or a sqlite3 "
        f"Connection, got {kind.__module__}.{kind.__name__}."
    )
