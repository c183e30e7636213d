"""The history's tables, as SQLAlchemy Core sees them (the migrations create them; this is the head revision).

All three are RANGE-partitioned by day on `event_at`, the event's time decoded from its id, so every row of one
event lives in the same day partition and retention drops whole events. Primary keys lead with `event_at` where
that gives a free newest-first order; ON CONFLICT finds them by their columns in any order.
"""

from __future__ import annotations

from sqlalchemy import (
    REAL,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

__all__ = ["PARTITIONED", "attempts", "deliveries", "events", "metadata"]

metadata = MetaData()
TS = DateTime(timezone=True)
BY_DAY = "RANGE (event_at)"

events = Table(
    "events",
    metadata,
    Column("id", Text, nullable=False),
    Column("event_at", TS, nullable=False),
    Column("type", Text, nullable=False),
    Column("stack", Text, nullable=False),
    Column("branch", Text, nullable=False),
    Column("channels", ARRAY(Text), nullable=False),
    Column("body", Text),
    Column("concise_body", Text),
    Column("erased_at", TS),
    Column("filtered_out", ARRAY(Text)),  # revision 0004: webhooks its payload filters left out (<= 100 ids)
    Column("filtered_count", Integer),  # revision 0004: how many; both last, as ALTER TABLE adds them
    PrimaryKeyConstraint("event_at", "id", name="events_pkey"),
    postgresql_partition_by=BY_DAY,
)
Index("events_stack_idx", events.c.stack, events.c.event_at.desc(), events.c.id.desc())
Index("events_type_idx", events.c.type, events.c.event_at.desc(), events.c.id.desc())

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Text, nullable=False),
    Column("event_at", TS, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("webhook_id", Text, nullable=False),
    Column("stack", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("round_attempts", Integer, nullable=False),
    Column("replays", Integer, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("next_attempt_at", TS),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("reason", Text),
    Column("dead_lettered_at", TS),
    Column("in_dlq", Boolean, nullable=False),
    PrimaryKeyConstraint("event_at", "id", name="deliveries_pkey"),
    postgresql_partition_by=BY_DAY,
)
d = deliveries.c
Index("deliveries_webhook_idx", d.webhook_id, d.event_at.desc(), d.id.desc())
Index("deliveries_event_idx", d.event_id)
Index("deliveries_status_idx", d.status, d.event_at.desc(), d.id.desc())
Index("deliveries_dlq_idx", d.dead_lettered_at.desc(), d.id.desc(), postgresql_where=d.in_dlq)
Index("deliveries_dlq_webhook_idx", d.webhook_id, d.dead_lettered_at.desc(), d.id.desc(), postgresql_where=d.in_dlq)

attempts = Table(
    "attempts",
    metadata,
    Column("delivery_id", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("event_at", TS, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("webhook_id", Text, nullable=False),
    Column("round", Integer, nullable=False),
    Column("replay", Boolean, nullable=False),
    Column("started_at", TS, nullable=False),
    Column("duration_ms", REAL, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("address", Text),
    Column("response", Text, nullable=False),
    Column("request_headers", JSONB, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("reason", Text),
    Column("next_delay_s", REAL),
    Column("response_headers", JSONB),  # revision 0003: [name, value] pairs; last, as ALTER TABLE adds it
    PrimaryKeyConstraint("delivery_id", "attempt", "event_at", name="attempts_pkey"),
    postgresql_partition_by=BY_DAY,
)

# Partitioned in this order: a day is made for all of them, and dropped from the last (attempts) to the first.
PARTITIONED = (events, deliveries, attempts)
