"""Alembic's environment for the outbox tables: online only, on the connection `hooks.outbox.schema` hands over.

Runs on whatever database the application uses (PostgreSQL, SQLite, MySQL): the revisions check the dialect.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from hooks.outbox.tables import metadata

# Two processes migrating one PostgreSQL at once queue on this lock instead of racing on the DDL.
MIGRATION_LOCK = 0x686F6F6B_6F757462  # "hookoutb"


def run_migrations_online() -> None:
    """Run the revisions in one transaction (where the database has transactional DDL) on the given connection."""
    config = context.config
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=config.attributes["version_table"],
        transaction_per_migration=False,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("the outbox migrations run online only: `hooks outbox migrate`")
run_migrations_online()
