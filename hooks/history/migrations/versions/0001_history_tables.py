"""The history tables: events, deliveries, attempts, each RANGE-partitioned by day on event_at.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

The day partitions themselves are made by `hooks.history.partitions`, not here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BY_DAY = "RANGE (event_at)"


def upgrade() -> None:
    """Create the three partitioned parents and their indexes."""
    op.create_table(
        "events",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("event_at", TS, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("stack", sa.Text, nullable=False),
        sa.Column("branch", sa.Text, nullable=False),
        sa.Column("channels", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("concise_body", sa.Text),
        sa.Column("erased_at", TS),
        sa.PrimaryKeyConstraint("event_at", "id", name="events_pkey"),
        postgresql_partition_by=BY_DAY,
    )
    op.execute("CREATE INDEX events_stack_idx ON events (stack, event_at DESC, id DESC)")
    op.execute("CREATE INDEX events_type_idx ON events (type, event_at DESC, id DESC)")
    _create_deliveries()
    _create_attempts()


def _create_deliveries() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("event_at", TS, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("webhook_id", sa.Text, nullable=False),
        sa.Column("stack", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("round_attempts", sa.Integer, nullable=False),
        sa.Column("replays", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("dead_lettered_at", TS),
        sa.Column("in_dlq", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("event_at", "id", name="deliveries_pkey"),
        postgresql_partition_by=BY_DAY,
    )
    op.execute("CREATE INDEX deliveries_webhook_idx ON deliveries (webhook_id, event_at DESC, id DESC)")
    op.execute("CREATE INDEX deliveries_event_idx ON deliveries (event_id)")
    op.execute("CREATE INDEX deliveries_status_idx ON deliveries (status, event_at DESC, id DESC)")


def _create_attempts() -> None:
    op.create_table(
        "attempts",
        sa.Column("delivery_id", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("event_at", TS, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("webhook_id", sa.Text, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("replay", sa.Boolean, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("duration_ms", sa.REAL, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("request_headers", postgresql.JSONB, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("next_delay_s", sa.REAL),
        sa.PrimaryKeyConstraint("delivery_id", "attempt", "event_at", name="attempts_pkey"),
        postgresql_partition_by=BY_DAY,
    )


def downgrade() -> None:
    """Drop the three tables, their partitions with them."""
    for name in ("attempts", "deliveries", "events"):
        op.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
