"""Many deliveries or events by id in one query, each looked up in its own day partition (replays in batches)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select, tuple_

from hooks.history.queries import delivery_from_row, event_from_row
from hooks.history.records import DeliveryRecord, EventRecord, event_at_s
from hooks.history.tables import deliveries, events
from hooks.history.times import as_datetime


def deliveries_by_ids(engine: Engine, ids: Sequence[str]) -> dict[str, DeliveryRecord]:
    """The deliveries with these ids that the history has, by id."""
    rows = _by_ids(engine, deliveries, ids)
    return {r.id: delivery_from_row(r) for r in rows}


def events_by_ids(engine: Engine, ids: Sequence[str]) -> dict[str, EventRecord]:
    """The events with these ids that the history has (with their bodies), by id."""
    rows = _by_ids(engine, events, ids)
    return {r.id: event_from_row(r) for r in rows}


def _by_ids(engine: Engine, table: Any, ids: Sequence[str]) -> list[Any]:
    if not ids:
        return []
    keys = [(i, as_datetime(event_at_s(i))) for i in dict.fromkeys(ids)]
    days = sorted({at for _, at in keys})
    # the plain IN on the partition key lets PostgreSQL read only those days' partitions
    query = select(table).where(table.c.event_at.in_(days), tuple_(table.c.id, table.c.event_at).in_(keys))
    with engine.connect() as conn:
        return list(conn.execute(query).all())
