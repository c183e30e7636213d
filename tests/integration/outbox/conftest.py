"""Outbox fixtures: an application database (a PostgreSQL database of its own, or a SQLite file) holding the
outbox tables, as `hooks outbox migrate` makes them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from hooks.history.db import make_engine
from hooks.local.postgres import PostgresServer
from hooks.outbox.schema import make_outbox_engine, migrate

_names = itertools.count()


@pytest.fixture(scope="module")
def app_pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A PostgreSQL database standing for the application's own, its outbox tables migrated, dropped after."""
    name = f"app_outbox_{next(_names)}"
    admin = make_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_outbox_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def app_pg(app_pg_url: str) -> Iterator[Engine]:
    """An engine on the application's PostgreSQL database, its outbox tables empty."""
    engine = make_outbox_engine(app_pg_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE hooks_outbox, hooks_outbox_failed"))
    yield engine
    engine.dispose()


@pytest.fixture
def app_sqlite(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An engine on a SQLite file standing for the application's database, its outbox tables migrated."""
    engine = make_outbox_engine(f"sqlite:///{tmp_path / 'app.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def outbox_rows(engine: Engine) -> list[tuple[str, str]]:
    """(event id, event type) of every row waiting in the outbox, oldest first."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT event_id, event_type FROM hooks_outbox ORDER BY id"))]
