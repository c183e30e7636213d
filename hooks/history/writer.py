"""Writing batches of history records: one transaction per batch, idempotent, three COPYs and three INSERTs.

Each table's rows are COPYed (binary) into a temporary staging table of the session, then moved with one
`INSERT ... SELECT ... ON CONFLICT`. Measured on 2 cores (bench/history_write.py): this is about twice as fast as
one `INSERT ... SELECT FROM unnest(<arrays>)` per table and 2.4x psycopg's pipelined executemany, mostly because
psycopg's COPY packs rows in C. Events and attempts never change once written (ON CONFLICT DO NOTHING); a delivery
is upserted only by a record at least as new as the stored one (`updated_at`), so a batch replayed, or arriving
late, never turns a newer state back into an older one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine

from hooks.history.partitions import ensure_partitions, existing_days
from hooks.history.records import AttemptRecord, DeliveryRecord, EventRecord
from hooks.history.times import day_of

__all__ = ["TARGETS", "Target", "WriteResult", "forget_partitions", "write_batch"]


@dataclass(frozen=True)
class Target:
    """How one table is written: the staged columns (name, type), the SELECT over them, the ON CONFLICT clause."""

    table: str
    staged: tuple[tuple[str, str], ...]
    select: str
    on_conflict: str

    @property
    def staging(self) -> str:
        """The session's temporary staging table."""
        return f"hooks_stage_{self.table}"

    def create_staging(self) -> str:
        """DDL of the staging table; its rows vanish at every commit."""
        columns = ", ".join(f"{name} {kind}" for name, kind in self.staged)
        return f"CREATE TEMP TABLE IF NOT EXISTS {self.staging} ({columns}) ON COMMIT DELETE ROWS"

    def insert_from(self, source: str) -> str:
        """The INSERT that moves the rows of `source` (the staging table, or any relation of the staged columns).

        In key order: every writer (several archivers, the DLQ's marks) locks rows in the same order, so two
        transactions on the same rows wait for each other instead of deadlocking."""
        names = ", ".join(name for name, _ in self.staged)
        return (f"INSERT INTO {self.table} SELECT {self.select} FROM {source} AS u({names}) ORDER BY 1, 2 "
                f"{self.on_conflict}")  # fmt: skip


def _staged(spec: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, kind) for name, kind in (item.split() for item in spec.split(",")))


DELIVERY_SET = ("event_id, webhook_id, stack, status, attempts, round_attempts, replays, created_at, updated_at, "
                "next_attempt_at, last_status, last_error, reason, dead_lettered_at, in_dlq")  # fmt: skip

EVENTS = Target(
    "events",
    _staged(
        "id text, at float8, type text, stack text, branch text, channels text[], body text, concise text, "
        "erased float8, filtered_out text[], filtered_count int4"
    ),  # fmt: skip
    "id, to_timestamp(at), type, stack, branch, channels, body, concise, to_timestamp(erased), filtered_out, "
    "filtered_count",
    "ON CONFLICT (id, event_at) DO NOTHING",
)
DELIVERIES = Target(
    "deliveries",
    _staged(
        "id text, at float8, event_id text, webhook_id text, stack text, status text, attempts int4, "
        "round_attempts int4, replays int4, created float8, updated float8, next_at float8, last_status int4, "
        "last_error text, reason text, dead_at float8, in_dlq bool"
    ),  # fmt: skip
    "id, to_timestamp(at), event_id, webhook_id, stack, status, attempts, round_attempts, replays, "
    "to_timestamp(created), to_timestamp(updated), to_timestamp(next_at), last_status, last_error, reason, "
    "to_timestamp(dead_at), in_dlq",
    f"ON CONFLICT (id, event_at) DO UPDATE SET ({DELIVERY_SET}) = "
    f"ROW({', '.join('excluded.' + c.strip() for c in DELIVERY_SET.split(','))}) "
    "WHERE deliveries.updated_at <= excluded.updated_at",
)
ATTEMPTS = Target(
    "attempts",
    _staged(
        "delivery_id text, attempt int4, at float8, event_id text, webhook_id text, round int4, replay bool, "
        "started float8, duration_ms float4, status_code int4, error text, address text, response text, "
        "headers jsonb, outcome text, reason text, next_delay_s float4, response_headers jsonb"
    ),  # fmt: skip
    "delivery_id, attempt, to_timestamp(at), event_id, webhook_id, round, replay, to_timestamp(started), "
    "duration_ms, status_code, error, address, response, headers, outcome, reason, next_delay_s, response_headers",
    "ON CONFLICT (delivery_id, attempt, event_at) DO NOTHING",
)
TARGETS = (EVENTS, DELIVERIES, ATTEMPTS)

# The days known to have partitions, per database URL: the writer asks PostgreSQL only about a day it has not seen.
_known_days: dict[str, set[date]] = {}
_known_lock = threading.Lock()


@dataclass(frozen=True)
class WriteResult:
    """Rows a batch changed: events and attempts inserted, deliveries inserted or moved to a newer state."""

    events: int
    deliveries: int
    attempts: int


def write_batch(
    engine: Engine,
    events: Sequence[EventRecord] = (),
    deliveries: Sequence[DeliveryRecord] = (),
    attempts: Sequence[AttemptRecord] = (),
) -> WriteResult:
    """Store a batch in one transaction, its day partitions made first; raises ValueError, sqlalchemy's DBAPIError."""
    rows = staged_rows(events, deliveries, attempts)
    days = {day_of(at) for at in {row[_AT[i]] for i, table in enumerate(rows) for row in table}}
    if not days:
        return WriteResult(0, 0, 0)
    _ensure_days(engine, days)
    try:
        return _write(engine, rows)
    except Exception as exc:
        if not _is_missing_partition(exc):
            raise
    forget_partitions(engine)  # dropped behind our back (retention, a test): make them again, once
    _ensure_days(engine, days)
    return _write(engine, rows)


def forget_partitions(engine: Engine | None = None) -> None:
    """Forget which partitions exist (for one engine's database, or all), so the next write checks again."""
    with _known_lock:
        if engine is None:
            _known_days.clear()
        else:
            _known_days.pop(str(engine.url), None)


def staged_rows(
    events: Iterable[EventRecord], deliveries: Iterable[DeliveryRecord], attempts: Iterable[AttemptRecord]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows of each staging table, one per key: the first event and attempt, the newest delivery."""
    # one per key: PostgreSQL refuses an ON CONFLICT DO UPDATE that touches the same row twice in one statement;
    # of two states of a delivery with the same updated_at, the later in the batch wins
    newest: dict[str, DeliveryRecord] = {}
    for d in deliveries:
        kept = newest.get(d.id)
        if kept is None or kept.updated_at <= d.updated_at:
            newest[d.id] = d
    first_events: dict[str, EventRecord] = {}
    for e in events:
        first_events.setdefault(e.id, e)
    first_attempts: dict[tuple[str, int], AttemptRecord] = {}
    for a in attempts:
        first_attempts.setdefault((a.delivery_id, a.attempt), a)
    return (_rows(_event_row, first_events.values()), _rows(_delivery_row, newest.values()),
            _rows(_attempt_row, first_attempts.values()))  # fmt: skip


_AT = (1, 1, 2)  # where each table's staged row holds the event time


def _rows(make: Callable[[Any], tuple[Any, ...]], records: Iterable[Any]) -> list[tuple[Any, ...]]:
    return [make(r) for r in records]


def _event_row(r: EventRecord) -> tuple[Any, ...]:
    return (r.id, r.event_at, r.type, r.stack, r.branch, r.channels, r.body, r.concise_body, r.erased_at,
            r.filtered_out, r.filtered_count)  # fmt: skip


def _delivery_row(r: DeliveryRecord) -> tuple[Any, ...]:
    return (r.id, r.event_at, r.event_id, r.webhook_id, r.stack, r.status, r.attempts, r.round_attempts, r.replays,
            r.created_at, r.updated_at, r.next_attempt_at, r.last_status, r.last_error, r.reason,
            r.dead_lettered_at, r.in_dlq)  # fmt: skip


def _attempt_row(r: AttemptRecord) -> tuple[Any, ...]:
    return (r.delivery_id, r.attempt, r.event_at, r.event_id, r.webhook_id, r.round, r.replay, r.started_at,
            r.duration_ms, r.status_code, r.error, r.address, r.response, r.request_headers, r.outcome,
            r.reason, r.next_delay_s, r.response_headers)  # fmt: skip


def _ensure_days(engine: Engine, days: set[date]) -> None:
    """Make the partitions of `days` in a transaction of their own (DDL beside open row locks could deadlock)."""
    key = str(engine.url)
    with _known_lock:
        missing = days - _known_days.get(key, set())
    if not missing:
        return
    with engine.begin() as conn:
        ensure_partitions(conn, missing)
        present = existing_days(conn)
    with _known_lock:
        _known_days.setdefault(key, set()).update(present)


def _write(engine: Engine, rows: tuple[list[tuple[Any, ...]], ...]) -> WriteResult:
    counts = []
    with engine.begin() as conn, _raw(conn).cursor() as cur:
        for target, table_rows in zip(TARGETS, rows, strict=True):
            counts.append(_copy_and_insert(cur, target, table_rows) if table_rows else 0)
    return WriteResult(*counts)


def _copy_and_insert(cur: psycopg.Cursor[Any], target: Target, rows: list[tuple[Any, ...]]) -> int:
    """COPY `rows` into the staging table, move them into the table; returns the rows inserted or updated."""
    cur.execute(target.create_staging())
    with cur.copy(f"COPY {target.staging} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([kind for _, kind in target.staged])
        for row in rows:
            copy.write_row(row)
    cur.execute(target.insert_from(target.staging))
    return max(cur.rowcount, 0)


def _raw(conn: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a SQLAlchemy connection."""
    return conn.connection.driver_connection  # type: ignore[return-value]


def _is_missing_partition(exc: BaseException) -> bool:
    cause = getattr(exc, "orig", exc)
    return isinstance(cause, psycopg.errors.CheckViolation) and "no partition" in str(cause)
