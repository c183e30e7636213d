"""One SQLAlchemy engine per (process, database URL), made on first use: a read never opens a pool of its own."""

from __future__ import annotations

import threading

import sqlalchemy.exc
from sqlalchemy.engine import Engine

from config import Settings, get_settings
from hooks.errors import HooksError
from hooks.history.db import make_engine

UNREACHABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


class HistoryUnavailableError(HooksError):
    """The history database cannot be reached right now (records wait in Redis; nothing is lost)."""


def get_engine(settings: Settings | None = None) -> Engine:
    """The shared engine of the settings' HOOKS_DATABASE_URL; raises ConfigurationError when none is set."""
    url = (settings or get_settings()).require_database()
    engine = _engines.get(url)
    if engine is None:
        with _lock:
            engine = _engines.get(url)
            if engine is None:
                engine = _engines[url] = make_engine(url, pool_size=4, max_overflow=4)
    return engine


def close_engines() -> None:
    """Dispose of every cached engine (tests that restart the database, a forked child)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def unavailable(exc: BaseException) -> HistoryUnavailableError:
    """The one-line error for a database that does not answer."""
    first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return HistoryUnavailableError(f"the history database cannot be reached ({first}); try again when it is back.")
