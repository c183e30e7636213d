"""`hooks doctor`: what in this deployment could lose work or stop it, each finding in one line.

The checks read configuration and counters only. Redis: it answers, is new enough (6.2: LPOP with a count,
XAUTOCLAIM), keeps its data on disk (AOF, `appendfsync`), evicts nothing (`noeviction`: an evicted queue key is
lost work, silently), has the replicas HOOKS_PUBLISH_MIN_REPLICAS asks for. The history: the database answers, its
schema is this code's, the archiver keeps up. The outbox (HOOKS_OUTBOX_URL): its tables exist, the relay keeps up,
no row is set aside. The egress proxy (HOOKS_EGRESS_PROXY_URL, its password masked): it accepts connections from
here. Workers log the Redis findings when they start.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import redis
import sqlalchemy.exc

from hooks.history.connection import UNREACHABLE, get_engine
from hooks.history.db import current_revision, head_revision
from hooks.models.webhook import mask
from hooks.settings import Settings
from hooks.settings.egress import parse_proxy_url
from hooks.store.connection import get_redis, safe_url
from hooks.store.keys import Keys
from hooks.store.stream import backlog

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Finding:
    """One check's verdict (ok, warn or FAIL) in one sentence."""

    level: str
    text: str


def examine(settings: Settings) -> list[Finding]:
    """Every finding: Redis first, then the history, then the app's outbox (when HOOKS_OUTBOX_URL is set)."""
    return redis_findings(settings) + history_findings(settings) + outbox_findings(settings) + egress_findings(settings)


def redis_findings(settings: Settings) -> list[Finding]:
    """What Redis's configuration means for the work it holds."""
    client = get_redis(settings)
    try:
        info = client.info()
        config: dict[str, Any] = client.config_get("*")  # type: ignore[assignment]
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        return [Finding(FAIL, f"Redis at {safe_url(settings.redis_url)} does not answer ({type(exc).__name__}).")]
    except redis.ResponseError:  # CONFIG renamed or refused (a managed Redis): say what cannot be checked
        return [Finding(WARN, "Redis refuses CONFIG GET: persistence and eviction cannot be checked from here.")]
    return [_version(info), _persistence(config), _eviction(config), _replicas(info, settings)]


def _version(info: dict[str, Any]) -> Finding:
    version = str(info.get("redis_version", "0"))
    major_minor = tuple(int(p) for p in version.split(".")[:2])
    if major_minor < (6, 2):
        return Finding(FAIL, f"Redis {version} is too old: 6.2 or newer is needed (LPOP with a count, XAUTOCLAIM).")
    return Finding(OK, f"Redis {version}.")


def _persistence(config: dict[str, Any]) -> Finding:
    aof, fsync, save = config.get("appendonly") == "yes", config.get("appendfsync"), config.get("save", "")
    if not aof and not save:
        return Finding(WARN, "Redis keeps nothing on disk (appendonly no, no save points): a restart loses every "
                             "event and delivery in flight; set appendonly yes.")  # fmt: skip
    if not aof:
        return Finding(WARN, f"Redis persists by snapshots only (save {save}): a restart loses what came after the "
                             "last one; set appendonly yes.")  # fmt: skip
    if fsync == "always":
        return Finding(OK, "Redis writes every change to its AOF before answering (appendfsync always).")
    if fsync == "everysec":
        return Finding(OK, "Redis AOF with appendfsync everysec: a crash of the machine (not of Redis) can lose "
                           "about the last second of acknowledged events; appendfsync always loses none.")  # fmt: skip
    return Finding(WARN, f"Redis AOF with appendfsync {fsync}: the OS decides when it reaches the disk.")


def _eviction(config: dict[str, Any]) -> Finding:
    policy = config.get("maxmemory-policy", "noeviction")
    if policy != "noeviction":
        return Finding(FAIL, f"Redis evicts keys when full (maxmemory-policy {policy}): an evicted queue key is lost "
                             "work, silently; set maxmemory-policy noeviction.")  # fmt: skip
    limit = int(config.get("maxmemory") or 0)
    text = f"maxmemory {limit / 1e6:.0f} MB" if limit else "no maxmemory (the machine's memory is the limit)"
    return Finding(OK, f"Redis evicts nothing (noeviction, {text}): when full, publishing fails clearly.")


def _replicas(info: dict[str, Any], settings: Settings) -> Finding:
    have, want = int(info.get("connected_slaves", 0)), settings.publish_min_replicas
    if want > have:
        return Finding(FAIL, f"HOOKS_PUBLISH_MIN_REPLICAS is {want} but the primary has {have} replica(s): every "
                             "publish fails.")  # fmt: skip
    if not have:
        return Finding(WARN, "Redis has no replica: a lost machine loses what it held (Sentinel and a replica "
                             "keep it running, see the README).")  # fmt: skip
    return Finding(OK, f"Redis has {have} replica(s); publish waits for {want}.")


def history_findings(settings: Settings) -> list[Finding]:
    """The history database and the archiver's backlog."""
    if not settings.database_url:
        return [Finding(FAIL, "HOOKS_DATABASE_URL is not set: the Procfile's processes refuse to start.")]
    try:
        current, head = current_revision(get_engine(settings)), head_revision()
    except UNREACHABLE as exc:
        return [Finding(FAIL, f"the history database does not answer ({str(exc).splitlines()[0][:120]}).")]
    schema = (
        Finding(OK, f"history schema at {head}.")
        if current == head
        else Finding(FAIL, f"history schema at {current or 'nothing'}, this code needs {head}: run `hooks db upgrade`.")
    )
    try:
        waiting = backlog(get_redis(settings), Keys(settings))
    except (redis.ConnectionError, redis.TimeoutError):
        return [schema]
    late = waiting.oldest_age_s is not None and waiting.oldest_age_s > 60
    lag = Finding(WARN if late else OK, f"history backlog: {waiting}" + (" (is an archiver running?)" if late else ""))
    return [schema, lag]


def outbox_findings(settings: Settings) -> list[Finding]:
    """The app's outbox: reachable, migrated, drained by a relay, nothing set aside."""
    if not settings.outbox_url:
        return []
    from hooks.errors import ConfigurationError
    from hooks.outbox.admin import outbox_status
    from hooks.outbox.schema import check_tables, make_outbox_engine

    engine = make_outbox_engine(settings.outbox_url)
    try:
        check_tables(engine)
        data = outbox_status(engine)
    except ConfigurationError as exc:
        return [Finding(FAIL, str(exc))]
    except sqlalchemy.exc.SQLAlchemyError as exc:
        return [Finding(FAIL, f"the outbox database does not answer ({str(exc).splitlines()[0][:120]}).")]
    finally:
        engine.dispose()
    age = data["oldest_age_s"]
    late = age is not None and age > 60
    found = [Finding(WARN if late else OK, f"outbox: {data['waiting']} events waiting" +
                     (f", the oldest {age:.0f} s old (is a relay running?)" if late else "."))]  # fmt: skip
    if data["failed"]:
        found.append(Finding(WARN, f"outbox: {data['failed']} rows set aside that were never published: "
                                   "`hooks outbox failed` says why, `hooks outbox retry` sends them."))  # fmt: skip
    return found


def egress_findings(settings: Settings) -> list[Finding]:
    """The egress proxy, shown with its password masked: does it accept connections (from this machine)?"""
    if not settings.egress_proxy_url:
        return []
    proxy = parse_proxy_url(settings.egress_proxy_url)
    shown = proxy.shown(mask(proxy.password))
    direct = f"; direct: {settings.egress_no_proxy}" if settings.egress_no_proxy else ""
    try:
        socket.create_connection((proxy.host, proxy.port), timeout=min(settings.connect_timeout_s, 3)).close()
    except OSError as exc:
        return [Finding(FAIL, f"the egress proxy {shown} does not accept connections from here ({type(exc).__name__}):"
                              " attempts through it fail as proxy_error.")]  # fmt: skip
    return [Finding(OK, f"attempts leave through the egress proxy {shown}{direct}.")]
