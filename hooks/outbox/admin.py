"""What operators do with the outbox: see where it stands, list the rows the relay set aside, retry or purge them
(`hooks outbox status|failed|retry|purge`, and `hooks status`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from hooks.errors import NotFoundError
from hooks.outbox import rows
from hooks.outbox.schema import safe_db
from hooks.outbox.tables import EVENT_COLUMNS, failed, outbox


@dataclass(frozen=True)
class FailedRow:
    """A row the relay could never publish, with its error."""

    id: int
    event_id: str
    event_type: str
    stack: str
    error: str
    failed_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready values."""
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "stack": self.stack,
            "error": self.error,
            "failed_at": _iso(self.failed_at),
        }


def outbox_status(engine: Engine, now: dt.datetime | None = None) -> dict[str, Any]:
    """Rows waiting (counted up to 100,000), the oldest one's age in seconds, and the rows set aside."""
    with engine.connect() as conn:
        count, oldest, bad = rows.waiting(conn)
    age = None
    if oldest:
        then = dt.datetime.strptime(oldest, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
        age = max(0.0, ((now or dt.datetime.now(dt.timezone.utc)) - then).total_seconds())
    return {"database": safe_db(engine), "waiting": count, "oldest_age_s": age, "failed": bad}


def list_failed(engine: Engine, *, limit: int = 100) -> list[FailedRow]:
    """The rows set aside, oldest first."""
    cols = [failed.c.id, failed.c.event_id, failed.c.event_type, failed.c.stack, failed.c.error, failed.c.failed_at]
    with engine.connect() as conn:
        found = conn.execute(select(*cols).order_by(failed.c.id).limit(limit)).all()
    return [FailedRow(*row) for row in found]


def retry_failed(engine: Engine, row_id: int | None) -> int:
    """Put one set-aside row (or all with None) back in the outbox, for the relay to try again; returns how many.
    Raises NotFoundError for an id that is not set aside."""
    where = [] if row_id is None else [failed.c.id == row_id]
    with engine.begin() as conn:
        picked = select(*(failed.c[c] for c in EVENT_COLUMNS)).where(*where).order_by(failed.c.id)
        conn.execute(insert(outbox).from_select(list(EVENT_COLUMNS), picked))
        moved = conn.execute(delete(failed).where(*where)).rowcount  # the INSERT's count is -1 on some drivers
    return _counted(moved, row_id)


def purge_failed(engine: Engine, row_id: int | None) -> int:
    """Delete one set-aside row (or all with None) for good; returns how many. Raises NotFoundError."""
    where = [] if row_id is None else [failed.c.id == row_id]
    with engine.begin() as conn:
        gone = conn.execute(delete(failed).where(*where)).rowcount
    return _counted(gone, row_id)


def _counted(n: int, row_id: int | None) -> int:
    if row_id is not None and n == 0:
        raise NotFoundError(f"id: no failed outbox row {row_id}.")
    return n


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is None:  # SQLite gives naive datetimes back
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
