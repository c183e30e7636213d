"""The dead-letter queue's partial indexes: newest dead-lettered first, overall and per webhook.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

On a partitioned table CREATE INDEX builds the index on every existing partition (blocking writes meanwhile);
a later revision on a large history would build it per partition CONCURRENTLY and ATTACH it instead.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the partial indexes over the rows in the dead-letter queue."""
    op.execute("CREATE INDEX deliveries_dlq_idx ON deliveries (dead_lettered_at DESC, id DESC) WHERE in_dlq")
    op.execute(
        "CREATE INDEX deliveries_dlq_webhook_idx ON deliveries (webhook_id, dead_lettered_at DESC, id DESC) "
        "WHERE in_dlq"
    )


def downgrade() -> None:
    """Drop the dead-letter queue's partial indexes."""
    op.execute("DROP INDEX IF EXISTS deliveries_dlq_webhook_idx")
    op.execute("DROP INDEX IF EXISTS deliveries_dlq_idx")
