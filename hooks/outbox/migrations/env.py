"""Alembic's environment for the outbox tables: online only, on the connection `hooks.outbox.schema` hands over.

Runs on whatever database the application uses (PostgreSQL, SQLite, MySQL): the revisions check the dialect.
"""

from hooks.migrate import run_online
from hooks.outbox.tables import metadata

# Two processes migrating one PostgreSQL at once queue on this lock instead of racing on the DDL.
MIGRATION_LOCK = 0x686F6F6B_6F757462  # "hookoutb"

run_online(metadata, MIGRATION_LOCK, "outbox")
