"""One SQLAlchemy engine per (process, database URL), made on first use: a read never opens a pool of its own."""

from __future__ import annotations

import sqlalchemy.exc
from sqlalchemy.engine import Engine

from hooks.errors import HooksError
from hooks.history.db import make_engine
from hooks.settings import Settings, get_settings

_engines: dict[str, Engine] = {}
UNREACHABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)


class HistoryUnavailableError(HooksError):
    """The history database cannot be reached right now (records wait in Redis; nothing is lost)."""


def get_engine(settings: Settings | None = None) -> Engine:
    """The shared engine of the settings' HOOKS_DATABASE_URL; raises ConfigurationError when none is set."""
    url = (settings or get_settings()).require_database()
    engine = _engines.get(url)
    if engine is None:  # two threads at once make one engine too many, never connected (engines connect lazily)
        engine = _engines.setdefault(url, make_engine(url, pool_size=4, max_overflow=4))
    return engine


def close_engines() -> None:
    """Dispose of every engine made so far (tests that restart the database, a forked child)."""
    while _engines:
        _engines.popitem()[1].dispose()


def unavailable(exc: BaseException) -> HistoryUnavailableError:
    """The one-line error for a database that does not answer."""
    first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return HistoryUnavailableError(f"the history database cannot be reached ({first}); try again when it is back.")
