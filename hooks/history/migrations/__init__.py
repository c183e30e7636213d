"""Alembic migrations of the history schema, run programmatically by `hooks.history.db.upgrade`."""
