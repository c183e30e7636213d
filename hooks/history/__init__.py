"""The delivery history in PostgreSQL: events, deliveries, attempts and the dead-letter queue, by day partition.

Modules: `records` (the dataclasses), `tables` (the schema at head), `db` (engine, migrations, schema check),
`partitions` (day partitions, retention), `writer` (idempotent batches), `queries` (pages, lookups, DLQ marks,
erasure). The names below are the public API; anything else may change.
"""

from hooks.history.db import SchemaError, check_schema, current_revision, downgrade, make_engine, upgrade
from hooks.history.partitions import drop_expired, ensure_ahead, ensure_partitions
from hooks.history.queries import (
    DeliveryDetail,
    EventDetail,
    dlq_ids_page,
    erase_event,
    erase_stack,
    get_delivery,
    get_event,
    list_dead,
    list_deliveries,
    list_events,
    mark_purged,
    mark_replayed,
)
from hooks.history.records import AttemptRecord, DeliveryRecord, EventRecord
from hooks.history.writer import WriteResult, write_batch

__all__ = [
    "AttemptRecord",
    "DeliveryDetail",
    "DeliveryRecord",
    "EventDetail",
    "EventRecord",
    "SchemaError",
    "WriteResult",
    "check_schema",
    "current_revision",
    "dlq_ids_page",
    "downgrade",
    "drop_expired",
    "ensure_ahead",
    "ensure_partitions",
    "erase_event",
    "erase_stack",
    "get_delivery",
    "get_event",
    "list_dead",
    "list_deliveries",
    "list_events",
    "make_engine",
    "mark_purged",
    "mark_replayed",
    "upgrade",
    "write_batch",
]
