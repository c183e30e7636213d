"""Fixtures of the history tests: one private PostgreSQL per session (never the machine's own), migrated to head.

Each test that uses `history` starts with no partitions and no rows: every day partition is dropped after it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from hooks.history.db import make_engine, upgrade
from hooks.history.partitions import drop_expired
from hooks.history.writer import forget_partitions
from hooks.local_postgres import PostgresServer

FAR_FUTURE_S = 32503680000.0  # year 3000: every partition's day has ended by then
_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL of our own on a free port (binaries on PATH, else pgserver's), stopped by pid."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def history_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    """An engine on the session's server, its schema at head."""
    engine = make_engine(postgres_server.url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def history(history_engine: Engine) -> Iterator[Engine]:
    """The session's engine on an empty history; every partition made during the test is dropped after it."""
    yield history_engine
    with history_engine.begin() as conn:
        drop_expired(conn, FAR_FUTURE_S, retention_days=0)
    forget_partitions()


@pytest.fixture
def empty_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty database on the session's server (for migration tests), dropped after the test."""
    name = f"hooks_migrations_{next(_databases)}"
    admin = make_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()
