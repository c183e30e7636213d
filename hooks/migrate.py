"""Alembic, run from code, for the two schemas the package owns: the history and the app's outbox tables.

There is no alembic.ini: each schema's configuration is built here, its scripts inside the package, so it works
from an installed wheel. Each keeps its revision in a version table of its own (`hooks_history_version`,
`hooks_outbox_version`), apart from any `alembic_version` of the application sharing the database.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, text

__all__ = ["Migrations"]


@dataclass(frozen=True)
class Migrations:
    """One schema's Alembic scripts (`script_location`, a package resource) and its version table."""

    script_location: str
    version_table: str

    def config(self) -> Config:
        """An Alembic configuration (the scripts' env.py takes the connection from its attributes)."""
        config = Config()
        config.set_main_option("script_location", self.script_location)
        config.attributes["version_table"] = self.version_table
        return config

    def head(self) -> str:
        """The revision this code's schema is at."""
        head = ScriptDirectory.from_config(self.config()).get_current_head()
        assert head is not None, f"{self.script_location} has no head revision"
        return head

    def known(self) -> set[str]:
        """Every revision this code knows."""
        return {rev.revision for rev in ScriptDirectory.from_config(self.config()).walk_revisions()}

    def current(self, engine: Engine) -> str | None:
        """The revision the database's schema is at, or None when it has none."""
        with engine.connect() as conn, _quiet():
            context = MigrationContext.configure(conn, opts={"version_table": self.version_table})
            return context.get_current_revision()

    def upgrade(self, url_or_engine: str | Engine, revision: str = "head", *, make: Callable[[str], Engine]) -> None:
        """Migrate the schema up to `revision` (the head by default), in one transaction where the database can."""
        self._run(command.upgrade, url_or_engine, revision, make)

    def downgrade(self, url_or_engine: str | Engine, revision: str = "-1", *, make: Callable[[str], Engine]) -> None:
        """Migrate the schema down to `revision` (one step by default; "base" for nothing)."""
        self._run(command.downgrade, url_or_engine, revision, make)

    def _run(self, action: Any, url_or_engine: str | Engine, revision: str, make: Callable[[str], Engine]) -> None:
        engine = make(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        try:
            with engine.connect() as conn:
                config = self.config()
                config.attributes["connection"] = conn
                action(config, revision)
                conn.commit()
        finally:
            if isinstance(url_or_engine, str):
                engine.dispose()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Alembic logs two INFO lines (`Context impl ...`, `Will assume transactional DDL`) whenever a process only
    reads the revision: noise at every start. Migrations themselves still log what they run."""
    logger = logging.getLogger("alembic.runtime.migration")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def run_online(metadata: MetaData, lock_key: int, what: str) -> None:
    """The body of a schema's env.py: run its revisions in one transaction (where the database has transactional
    DDL) on the connection `Migrations._run` handed over, two migrating processes queued on a PostgreSQL advisory
    lock; online only (there is no alembic.ini to run offline from)."""
    if context.is_offline_mode():
        raise SystemExit(f"the {what} migrations run online only")
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
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
        context.run_migrations()
