"""The webhooks an event's payload filters left out: `filtered_out` (at most 100 ids) and `filtered_count`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

Nullable and without a default, so PostgreSQL adds them to the partitioned parent and every partition without
rewriting a row; events archived before it read back with nothing filtered out (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add events.filtered_out and events.filtered_count."""
    op.add_column("events", sa.Column("filtered_out", postgresql.ARRAY(sa.Text), nullable=True))
    op.add_column("events", sa.Column("filtered_count", sa.Integer, nullable=True))


def downgrade() -> None:
    """Drop events.filtered_count and events.filtered_out."""
    op.drop_column("events", "filtered_count")
    op.drop_column("events", "filtered_out")
