"""Day partitions of the history tables: made ahead of time (and on demand by the writer), dropped past retention.

A partition is named `<table>_pYYYYMMDD` and holds [that day 00:00 UTC, the next day 00:00 UTC) of `event_at`.
DDL from several processes at once queues on one transaction-level advisory lock, so it never races; dropping
takes a short `lock_timeout` so that a long query on a parent table makes it give up (and retry later) rather
than hold every reader of that table behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Connection, text

from hooks.history.tables import PARTITIONED
from hooks.history.times import TimeLike, as_datetime, day_of, day_start

__all__ = ["PARTITION_LOCK", "drop_expired", "ensure_ahead", "ensure_partitions", "existing_days", "partition_name"]

PARTITION_LOCK = 0x686F6F6B_70617274  # "hookpart": every process's partition DDL takes it
TABLES = tuple(t.name for t in PARTITIONED)
_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<day>\d{8})$")
_LIST = text(
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ANY(:tables) AND p.relnamespace = c.relnamespace "
    "AND p.relnamespace = current_schema()::regnamespace"
)


def partition_name(table: str, day: date) -> str:
    """The name of `table`'s partition for `day`, e.g. `deliveries_p20261202`."""
    return f"{table}_p{day:%Y%m%d}"


def _partitions(conn: Connection) -> dict[str, date]:
    """Every day partition of the history tables, by name, with its day."""
    out: dict[str, date] = {}
    for (name,) in conn.execute(_LIST, {"tables": list(TABLES)}):
        match = _NAME.match(name)
        if match and match["table"] in TABLES:
            out[name] = date(int(match["day"][:4]), int(match["day"][4:6]), int(match["day"][6:]))
    return out


def existing_days(conn: Connection) -> set[date]:
    """The days that have a partition in every history table."""
    names = _partitions(conn)
    return {day for day in set(names.values()) if all(partition_name(t, day) in names for t in TABLES)}


def ensure_partitions(conn: Connection, days: Iterable[date]) -> list[str]:
    """Create the missing partitions of `days` in every history table; returns the names created (idempotent)."""
    wanted = sorted(set(days))
    if not wanted or set(wanted) <= existing_days(conn):
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PARTITION_LOCK})
    present = _partitions(conn)  # again, under the lock: another process may just have made them
    created = []
    for day in wanted:
        low, high = day_start(day), day_start(day + timedelta(days=1))
        for table in TABLES:
            name = partition_name(table, day)
            if name in present:
                continue
            conn.execute(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} "
                              f"FOR VALUES FROM ('{low.isoformat()}') TO ('{high.isoformat()}')"))  # fmt: skip
            created.append(name)
    return created


def ensure_ahead(conn: Connection, now: TimeLike, days_ahead: int = 7) -> list[str]:
    """Create the partitions from `now`'s day to `days_ahead` days later; returns the names created."""
    today = day_of(now)
    return ensure_partitions(conn, (today + timedelta(days=n) for n in range(days_ahead + 1)))


def drop_expired(conn: Connection, now: TimeLike, retention_days: float, *, lock_timeout_ms: int = 2000) -> list[str]:
    """Drop the partitions whose day ended `retention_days` before `now`; returns their names; raises OperationalError."""
    # A drop locks the parent table exclusively for milliseconds, once the queries on it are done; one that runs
    # longer than lock_timeout_ms makes it fail with lock_not_available (nothing dropped: run it again later)
    # rather than hold every new query on the table behind it.
    cutoff = as_datetime(now) - timedelta(days=retention_days)
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PARTITION_LOCK})
    conn.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
    present = _partitions(conn)
    ended = sorted({day for day in present.values() if day_start(day + timedelta(days=1)) <= cutoff})
    dropped = []
    for day in ended:
        for table in reversed(TABLES):  # attempts first, events last
            name = partition_name(table, day)
            if name in present:
                conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
                dropped.append(name)
    return dropped
