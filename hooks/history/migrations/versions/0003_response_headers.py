"""The endpoint's response headers of each attempt: a nullable JSONB column of [name, value] pairs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05

Nullable and without a default, so PostgreSQL adds it to the partitioned parent and every partition without
rewriting a row; attempts archived before it read back with no response headers (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add attempts.response_headers."""
    op.add_column("attempts", sa.Column("response_headers", postgresql.JSONB, nullable=True))


def downgrade() -> None:
    """Drop attempts.response_headers."""
    op.drop_column("attempts", "response_headers")
