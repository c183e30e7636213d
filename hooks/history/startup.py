"""What every process checks at start about the history: a database is set, and its schema is this code's.

The worker and the scheduler do not write the history themselves (the drains append to the Redis stream, the
archiver writes), so a database that cannot be reached when they start is logged and waited out by the
archiver; a schema that is not at this code's revision makes every process refuse to start, saying what to run.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy.exc
from sqlalchemy.engine import Engine

from hooks.history.db import check_schema, make_engine
from hooks.settings import Settings

log = logging.getLogger(__name__)

UNREACHABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)


def check_at_start(settings: Settings, process: str) -> None:
    """Refuse to run without HOOKS_DATABASE_URL or on an old schema; raises ConfigurationError or SchemaError.

    A database that does not answer now is logged and not fatal: this process does not need it to work.
    """
    engine = make_engine(settings.require_database())
    try:
        check_schema(engine)
    except UNREACHABLE as exc:
        log.warning("%s: cannot check the history database's schema now (%s); going on", process, _first(exc))
    finally:
        engine.dispose()


def wait_for_schema(engine: Engine, stop: threading.Event) -> None:
    """Check the schema, waiting for the database to answer first; raises SchemaError when it is not this code's."""
    logged = False
    while not stop.is_set():
        try:
            check_schema(engine)
            return
        except UNREACHABLE as exc:
            if not logged:
                log.warning("waiting for the history database (%s)", _first(exc))
                logged = True
            stop.wait(2.0)


def _first(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200]
