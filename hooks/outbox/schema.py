"""The outbox's engine and schema in the application's database (HOOKS_OUTBOX_URL): `hooks outbox migrate`.

Any database SQLAlchemy speaks to; PostgreSQL (psycopg 3) and SQLite are tested. A Django project gets the same
tables from its own migration (hooks.contrib.django), without `hooks_outbox_version`.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.engine import make_url

from hooks.errors import ConfigurationError
from hooks.history.db import normalise_url
from hooks.migrate import Migrations
from hooks.outbox.tables import FAILED_TABLE, OUTBOX_TABLE

OUTBOX = Migrations("hooks.outbox:migrations", "hooks_outbox_version")
MIGRATE_HINT = "run `hooks outbox migrate` (a Django project: `manage.py migrate`)"


def make_outbox_engine(url: str) -> Engine:
    """An engine on the app's database: psycopg 3 for PostgreSQL, a long busy timeout for SQLite (the app and the
    relay write the same file); raises ConfigurationError naming HOOKS_OUTBOX_URL when the URL is not one."""
    try:
        parsed = make_url(normalise_url(url))
    except Exception:  # noqa: BLE001 - SQLAlchemy raises ArgumentError or ValueError, say it once
        raise ConfigurationError(f"HOOKS_OUTBOX_URL: not a database URL: {url!r}.") from None
    if parsed.get_backend_name() == "sqlite":
        return create_engine(parsed, connect_args={"timeout": 30})
    if parsed.get_backend_name() != "postgresql":
        return create_engine(parsed, pool_pre_ping=True, pool_size=2)
    # a relay cut off in the middle of a batch gives its rows back within a minute, well inside the time Redis
    # remembers their keys (HOOKS_OUTBOX_IDEMPOTENCY_TTL_S): PostgreSQL ends its transaction, idle that long
    options = "-c idle_in_transaction_session_timeout=60s"
    args = {"connect_timeout": 5, "application_name": "hooks-relay", "options": options}
    return create_engine(parsed, pool_pre_ping=True, pool_size=2, connect_args=args)


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the outbox tables; returns the revisions before and after."""
    before = OUTBOX.current(engine)
    OUTBOX.upgrade(engine, make=make_outbox_engine)
    return before, OUTBOX.head()


def check_tables(engine: Engine) -> None:
    """Return quietly when both outbox tables exist; raises ConfigurationError saying what to run."""
    names = set(inspect(engine).get_table_names())
    missing = [t for t in (OUTBOX_TABLE, FAILED_TABLE) if t not in names]
    if missing:
        raise ConfigurationError(f"the outbox table {missing[0]} is missing in {safe_db(engine)}: {MIGRATE_HINT}.")


def safe_db(engine: Engine) -> str:
    """The engine's URL without its password."""
    return engine.url.render_as_string(hide_password=True)
