"""Where the system stands: Redis, the work in flight, the history's backlog and its database (`hooks status`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy.exc

from hooks.history.connection import UNREACHABLE, get_engine
from hooks.history.db import current_revision, head_revision
from hooks.settings import Settings
from hooks.store.connection import get_redis, safe_url
from hooks.store.keys import Keys
from hooks.store.stream import backlog


def status(settings: Settings) -> dict[str, Any]:
    """A snapshot for operators; reads only counters (no scan), so it is cheap at any size."""
    return {
        "redis": _redis(settings),
        "in_flight": _in_flight(settings),
        "history": _history(settings),
        "outbox": _outbox(settings),
    }


def _redis(settings: Settings) -> dict[str, Any]:
    info = get_redis(settings).info()
    return {
        "url": safe_url(settings.redis_url),
        "version": info.get("redis_version"),
        "used_memory_bytes": info.get("used_memory"),
        "maxmemory_bytes": info.get("maxmemory"),
        "maxmemory_policy": info.get("maxmemory_policy"),
        "aof_enabled": bool(info.get("aof_enabled")),
    }


def _in_flight(settings: Settings) -> dict[str, int]:
    keys = Keys(settings)
    with get_redis(settings).pipeline(transaction=False) as pipe:
        pipe.llen(keys.fanout)
        pipe.zcard(keys.events_all)
        pipe.zcard(keys.deliveries_all)
        pipe.zcard(keys.ready)
        pipe.zcard(keys.retry)
        pipe.zcard(keys.leased)
        pipe.zcard(keys.breakers)
        pipe.zcard(keys.drains)
        values = pipe.execute()
    names = ("events_waiting_fan_out", "events", "deliveries", "webhooks_ready", "retrying", "being_sent",
             "open_breakers", "drains")  # fmt: skip
    return dict(zip(names, (int(v) for v in values), strict=True))


def _history(settings: Settings) -> dict[str, Any]:
    waiting = backlog(get_redis(settings), Keys(settings))
    out: dict[str, Any] = {"backlog_entries": waiting.entries, "oldest_age_s": waiting.oldest_age_s,
                           "database": _safe_db_url(settings.database_url), "schema_revision": None,
                           "schema_head": head_revision(), "reachable": False}  # fmt: skip
    if settings.database_url:
        try:
            out["schema_revision"] = current_revision(get_engine(settings))
            out["reachable"] = True
        except UNREACHABLE:
            pass
    return out


def _safe_db_url(url: str | None) -> str | None:
    return safe_url(url) if url else None


def _outbox(settings: Settings) -> dict[str, Any] | None:
    """The app's outbox (HOOKS_OUTBOX_URL), when there is one: rows waiting, the oldest's age, rows set aside."""
    if not settings.outbox_url:
        return None
    from hooks.outbox.admin import outbox_status
    from hooks.outbox.schema import make_outbox_engine, safe_db

    engine = make_outbox_engine(settings.outbox_url)
    try:
        return {**outbox_status(engine), "reachable": True}
    except sqlalchemy.exc.SQLAlchemyError as exc:
        return {"database": safe_db(engine), "reachable": False, "error": str(exc).splitlines()[0][:200]}
    finally:
        engine.dispose()
