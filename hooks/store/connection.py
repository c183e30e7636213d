"""One Redis client per (process, URL), with timeouts so that nothing hangs on an unreachable server."""

from __future__ import annotations

import threading
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from config import Settings, get_settings

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
                client = redis.Redis.from_url(
                    s.redis_url,
                    socket_timeout=s.publish_timeout_s,
                    socket_connect_timeout=s.publish_timeout_s,
                    retry=Retry(NoBackoff(), 0),  # a deadline is a deadline: no silent retries
                    health_check_interval=30,
                )
                _clients[key] = client
    return client


def close_all() -> None:
    """Drop every cached client (tests that restart Redis)."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def safe_url(url: str) -> str:
    """A Redis URL without its password, fit for messages and logs."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def decoded(members: Any) -> list[str]:
    """Members of a Redis list or sorted set reply (bytes) as strings."""
    return [m.decode() for m in members]
