"""Alembic's environment for the history: runs online only, on the connection `hooks.history.db` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from hooks.history.tables import metadata

# Two processes upgrading at once queue on this lock instead of racing on the DDL (transaction-scoped).
MIGRATION_LOCK = 0x686F6F6B_6D696772  # "hookmigr"


def run_migrations_online() -> None:
    """Run the revisions inside one transaction on the connection in `config.attributes['connection']`."""
    config = context.config
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=config.attributes["version_table"],
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("the history migrations run online only: call hooks.history.db.upgrade(url)")
run_migrations_online()
