"""Alembic's environment for the history: runs online only, on the connection `hooks.history.db` hands over."""

from hooks.history.tables import metadata
from hooks.migrate import run_online

# Two processes upgrading at once queue on this lock instead of racing on the DDL (transaction-scoped).
MIGRATION_LOCK = 0x686F6F6B_6D696772  # "hookmigr"

run_online(metadata, MIGRATION_LOCK, "history")
