"""How many deliveries the dead-letter queue holds: one count on its partial index, reused for a few seconds.

The queue lives in PostgreSQL (`deliveries` rows with `in_dlq`); a scrape every second must not count it every
second, so the figure is kept HOOKS_METRICS_DLQ_CACHE_S. None when the database does not answer in time.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from hooks.history.connection import UNREACHABLE, get_engine
from hooks.settings import Settings

_COUNT = text("SELECT count(*) FROM deliveries WHERE in_dlq")
_COUNT_STACK = text("SELECT count(*) FROM deliveries WHERE in_dlq AND stack = :stack")
_lock = threading.Lock()
_cached: dict[tuple[str, str | None], tuple[float, int | None]] = {}


def dlq_size(settings: Settings, *, stack: str | None = None) -> int | None:
    """The number of dead-lettered deliveries (of one stack, if given; cached), or None when the history cannot
    say within 1 s."""
    if not settings.database_url:
        return None
    now = time.monotonic()
    hit = _cached.get((settings.database_url, stack))
    if hit is not None and now - hit[0] < settings.metrics_dlq_cache_s:
        return hit[1]
    with _lock:
        try:
            with get_engine(settings).connect() as conn:
                conn.execute(text("SET LOCAL statement_timeout = 1000"))
                count = _COUNT if stack is None else _COUNT_STACK.bindparams(stack=stack)
                value: int | None = int(conn.execute(count).scalar_one())
        except UNREACHABLE:
            value = None
        except Exception:  # noqa: BLE001 - a timed-out count is a missing figure, not a failed scrape
            value = None
        _cached[(settings.database_url, stack)] = (time.monotonic(), value)
    return value
