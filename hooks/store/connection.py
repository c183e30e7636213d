"""One Redis client per (process, URL), with timeouts so that nothing hangs on an unreachable server.

`REDIS_URL` may name one Redis or a primary managed by Sentinel (hooks/settings/redis_url.py): the client then asks the
sentinels for the primary before it connects, and again after a failover.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from hooks.settings import Settings, get_settings
from hooks.settings.redis_url import SENTINEL_SCHEME, parse_sentinel_url

_lock = threading.Lock()
_clients: dict[tuple[str, float], redis.Redis] = {}


def get_redis(settings: Settings | None = None) -> redis.Redis:
    """The shared client for the settings' `REDIS_URL`; connections are made lazily, so this never raises."""
    s = settings or get_settings()
    key = (s.redis_url, s.publish_timeout_s)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = make_client(s.redis_url, s.publish_timeout_s)
    return client


def make_client(url: str, timeout_s: float) -> redis.Redis:
    """A client for `url` whose every call gives up after `timeout_s` (connecting included), never retried silently."""
    options: dict[str, Any] = {
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "retry": Retry(NoBackoff(), 0),  # a deadline is a deadline: no silent retries
        "health_check_interval": 30,
    }
    if not url.startswith(SENTINEL_SCHEME):
        return redis.Redis.from_url(url, **options)
    parsed = parse_sentinel_url(url)
    timeouts = {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s}
    sentinel = Sentinel(list(parsed.sentinels), sentinel_kwargs={**timeouts, "password": parsed.sentinel_password})
    return sentinel.master_for(parsed.master, db=parsed.db, password=parsed.password, **options)


def close_all() -> None:
    """Drop every cached client (tests that restart Redis)."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def safe_url(url: str) -> str:
    """A Redis URL without its passwords, fit for messages and logs."""
    url = url.split("?", 1)[0]  # a sentinel_password in the query
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def decoded(members: Any) -> list[str]:
    """Members of a Redis list or sorted set reply (bytes) as strings."""
    return [m.decode() for m in members]


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether Redis refused a write for being full (maxmemory reached with noeviction), however it said so."""
    text = str(exc)
    return isinstance(exc, redis.exceptions.OutOfMemoryError) or "used memory > 'maxmemory'" in text or "OOM" in text
