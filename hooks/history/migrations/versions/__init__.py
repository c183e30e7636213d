"""Alembic revisions of the history schema, one file each (Alembic skips this file)."""
