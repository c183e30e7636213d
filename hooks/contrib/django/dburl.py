"""The SQLAlchemy URL of a Django database, for the relay: `settings.DATABASES[alias]` as `hooks relay` would take it
in HOOKS_OUTBOX_URL. PostgreSQL (psycopg 3) and SQLite; no Django import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL

from hooks.errors import ConfigurationError

POSTGRESQL_ENGINES = ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis")
SQLITE_ENGINES = ("django.db.backends.sqlite3", "django.contrib.gis.db.backends.spatialite")

# The OPTIONS of Django's PostgreSQL backend that are libpq's own (Django's own, such as `pool`, stay behind).
LIBPQ_OPTIONS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "options",
    "target_session_attrs",
    "service",
    "passfile",
)


def sqlalchemy_url(alias: str, database: Mapping[str, Any]) -> str:
    """The URL of `DATABASES[alias]` (`database`); raises ConfigurationError naming the alias when its ENGINE is
    neither PostgreSQL nor SQLite, or its SQLite database is in memory."""
    engine = str(database.get("ENGINE", ""))
    where = f"DATABASES[{alias!r}]"
    if engine in POSTGRESQL_ENGINES:
        return _postgresql(where, database)
    if engine in SQLITE_ENGINES:
        name = str(database.get("NAME") or "")
        if not name or name == ":memory:" or "mode=memory" in name:
            raise ConfigurationError(
                f"{where}['NAME']: an in-memory SQLite database is private to its process; the relay needs a file."
            )
        return URL.create("sqlite", database=name).render_as_string(hide_password=False)
    raise ConfigurationError(
        f"{where}['ENGINE']: {engine or 'not set'} is not one manage.py hooks_relay knows (PostgreSQL or SQLite); "
        f"run `hooks relay` with HOOKS_OUTBOX_URL set to the database's SQLAlchemy URL instead."
    )


def _postgresql(where: str, database: Mapping[str, Any]) -> str:
    options = database.get("OPTIONS") or {}
    query = {key: str(options[key]) for key in LIBPQ_OPTIONS if options.get(key) not in (None, "")}
    host = str(database.get("HOST") or "")
    if host.startswith("/"):  # a Unix socket's directory: libpq takes it as the host parameter
        query["host"], host = host, ""
    port = str(database.get("PORT") or "")
    if port and not port.isdigit():
        raise ConfigurationError(f"{where}['PORT']: expected a port number, got {port!r}.")
    url = URL.create(
        "postgresql+psycopg",
        username=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=host or None,
        port=int(port) if port else None,
        database=database.get("NAME") or None,
        query=query,
    )
    return url.render_as_string(hide_password=False)
