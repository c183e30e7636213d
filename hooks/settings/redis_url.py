"""`REDIS_URL`: one Redis (`redis://`, `rediss://`, `unix://`) or a Sentinel-managed primary.

The Sentinel form names every sentinel and the primary's name:

    redis+sentinel://[:password@]host1:26379,host2:26379,host3:26379/mymaster[/db][?sentinel_password=...]

The password (if any) is the primary's; `sentinel_password` is the sentinels' own, when they require one. The
producer, the scheduler, the archiver and the command line ask the sentinels for the primary (redis-py's
`Sentinel.master_for`), the Celery broker uses kombu's `sentinel://` transport with `master_name`, and every
client reconnects to the new primary after a failover.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

SENTINEL_SCHEME = "redis+sentinel://"
PLAIN_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass(frozen=True)
class SentinelURL:
    """A parsed `redis+sentinel://` URL."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    password: str | None = None
    sentinel_password: str | None = None

    def kombu_url(self) -> str:
        """The broker URL for kombu's sentinel transport (`master_name` goes in the transport options)."""
        auth = f":{self.password}@" if self.password else ""
        return ";".join(f"sentinel://{auth}{host}:{port}/{self.db}" for host, port in self.sentinels)


def check_redis_url(url: str) -> str:
    """Return `url` if it is a Redis URL we can use; raises ValueError saying what is wrong."""
    if url.startswith(SENTINEL_SCHEME):
        parse_sentinel_url(url)
    elif not url.startswith(PLAIN_SCHEMES):
        raise ValueError(f"must start with {', '.join(PLAIN_SCHEMES)} or {SENTINEL_SCHEME}")
    return url


def parse_sentinel_url(url: str) -> SentinelURL:
    """The parts of a `redis+sentinel://` URL; raises ValueError naming the part that is wrong."""
    rest = url.removeprefix(SENTINEL_SCHEME)
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    password = unquote(userinfo.partition(":")[2]) or None if at else None
    sentinels = tuple(_host_port(item) for item in hosts.split(",") if item)
    if not sentinels:
        raise ValueError("a redis+sentinel:// URL needs at least one sentinel host:port")
    master, _, db = path.partition("/")
    if not master:
        raise ValueError("a redis+sentinel:// URL needs the primary's name after the hosts (/mymaster)")
    if db and not db.isdigit():
        raise ValueError(f"the database after the primary's name must be a number, got {db!r}")
    options = parse_qs(query)
    sentinel_password = options.get("sentinel_password", [None])[0]
    return SentinelURL(sentinels, unquote(master), int(db or 0), password, sentinel_password)


def _host_port(item: str) -> tuple[str, int]:
    host, colon, port = item.rpartition(":")
    if not colon or not port.isdigit() or not host:
        raise ValueError(f"each sentinel must be host:port, got {item!r}")
    return host.strip("[]"), int(port)
