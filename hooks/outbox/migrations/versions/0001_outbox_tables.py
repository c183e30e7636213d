"""The outbox and its failed rows; on PostgreSQL, a trigger that NOTIFYs the relay when rows are committed.

Revision ID: 0001
Revises:
Create Date: 2026-12-05

The trigger fires once per INSERT statement and PostgreSQL delivers the notification at commit (never for a
rollback), so the relay wakes as soon as an event can be published, and `hooks.outbox.publish` stays one INSERT.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hooks.outbox.tables import FAILED_TABLE, OUTBOX_TABLE, drop_notify_trigger_sql, notify_trigger_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _event_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("stack", sa.String(64), nullable=False),
        sa.Column("branch", sa.String(64), nullable=False),
        sa.Column("channels", sa.Text, nullable=False, server_default=""),
        sa.Column("event_time", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("concise_body", sa.Text, nullable=False),
    ]


def upgrade() -> None:
    """Create the two tables, and the NOTIFY trigger on PostgreSQL."""
    op.create_table(
        OUTBOX_TABLE,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        *_event_columns(),
        sqlite_autoincrement=True,  # a deleted row's id is never given again (the failed table keeps them)
    )
    op.create_table(
        FAILED_TABLE,
        sa.Column("id", _ID, primary_key=True, autoincrement=False),
        *_event_columns(),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in notify_trigger_sql():
            op.execute(statement)


def downgrade() -> None:
    """Drop the trigger and both tables (with any rows not yet relayed)."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_notify_trigger_sql():
            op.execute(statement)
    op.drop_table(FAILED_TABLE)
    op.drop_table(OUTBOX_TABLE)
