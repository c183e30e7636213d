"""Connecting to the history database and keeping its schema at the code's revision (Alembic, programmatic).

The migrations run from code (hooks/migrate.py), their scripts inside this package; the revision table is
`hooks_history_version`, apart from any other app's `alembic_version`.
"""

from __future__ import annotations

from typing import Any

from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from hooks.errors import ConfigurationError
from hooks.migrate import Migrations

__all__ = [
    "VERSION_TABLE",
    "SchemaError",
    "check_schema",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "normalise_url",
    "upgrade",
]

VERSION_TABLE = "hooks_history_version"
SCRIPT_LOCATION = "hooks.history:migrations"
UPGRADE_HINT = "run `hooks db upgrade`"


class SchemaError(ConfigurationError):
    """The history database's schema is missing or not at the revision this code needs."""


def normalise_url(url: str) -> str:
    """`url` with the psycopg 3 driver: `postgres://` and `postgresql://` become `postgresql+psycopg://`."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, connect_timeout_s: int = 5, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine on psycopg 3 that checks pooled connections before use and gives up connecting fast."""
    connect_args = {"connect_timeout": connect_timeout_s, "application_name": "hooks-history"}
    connect_args.update(kwargs.pop("connect_args", {}))
    return create_engine(normalise_url(url), pool_pre_ping=True, connect_args=connect_args, **kwargs)


HISTORY = Migrations(SCRIPT_LOCATION, VERSION_TABLE)


def alembic_config() -> Config:
    """An Alembic configuration for the history migrations (env.py takes the connection from its attributes)."""
    return HISTORY.config()


def head_revision() -> str:
    """The revision this code's schema is at."""
    return HISTORY.head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at, or None when it has none."""
    return HISTORY.current(engine)


def check_schema(engine: Engine) -> None:
    """Return quietly if the schema is at the code's head revision; raises SchemaError saying what to run."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaError(f"the history database has no schema (the code needs revision {head}): {UPGRADE_HINT}")
    if current not in HISTORY.known():
        raise SchemaError(f"the history database is at revision {current}, newer than this code's {head}: "
                          "upgrade the code, or downgrade the database with the newer code")  # fmt: skip
    raise SchemaError(f"the history database is at revision {current}, the code needs {head}: {UPGRADE_HINT}")


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Migrate the schema up to `revision` (the head by default), in one transaction."""
    HISTORY.upgrade(url_or_engine, revision, make=make_engine)


def downgrade(url_or_engine: str | Engine, revision: str = "-1") -> None:
    """Migrate the schema down to `revision` (one step by default; "base" for nothing), in one transaction."""
    HISTORY.downgrade(url_or_engine, revision, make=make_engine)
