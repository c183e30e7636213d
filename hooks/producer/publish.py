"""`publish_event`: validate, store the event and queue it for fan-out (kicking a drain) in one atomic round trip.

The script is `publish.lua`, beside this file. Events of a type the catalogue holds as strict are checked against
its schema here, before the call; the script confirms the schema is still current (hooks/catalogue/strict.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import redis

from hooks.catalogue import strict
from hooks.errors import PublishError, ValidationError
from hooks.models.event import Event, build_event
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis, is_out_of_memory, safe_url
from hooks.store.kick import kick_args
from hooks.store.scripts import beside

_PUBLISH = beside(__file__, "publish")


def publish_event(
    event_type: str,
    data: Mapping[str, Any],
    *,
    stack: str = "default",
    branch: str = "main",
    channels: Iterable[str] = (),
    summary: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> str:
    """Publish one event and return its id once it is durably in Redis.

    Raises ValidationError (a ValueError) naming the bad field (for a strict type of the catalogue, the path in
    `data` its schema refused: `data.entry.title: 5 is not of type 'string'.`), or PublishError when Redis cannot
    be reached within `HOOKS_PUBLISH_TIMEOUT_S`. With an `idempotency_key` seen in the last 24 h, returns the first
    event's id and enqueues nothing.
    """
    settings = get_settings()
    event = build_event(
        event_type,
        data,
        stack=stack,
        branch=branch,
        channels=channels,
        summary=summary,
        idempotency_key=idempotency_key,
        max_bytes=settings.max_event_bytes,
    )
    return _store(settings, [event], [data], listed=False)[0]


def publish_events(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Publish many events in one round trip, all or none; returns their ids in order.

    Each item is a mapping with the keyword arguments of `publish_event` (`event_type` and `data` required).
    Raises ValidationError naming the item and field (`events[3].data.entry.title: ...`; nothing is stored then),
    or PublishError.
    """
    settings = get_settings()
    if isinstance(events, Iterable) and not isinstance(events, (str, bytes, Mapping, Sequence)):
        events = list(events)  # read twice: built here, and each item's data for the catalogue's schemas
    built = build_items(events, settings)
    if not built:
        return []
    items: Sequence[Mapping[str, Any]] = events  # type: ignore[assignment]  # a list now, checked by build_items
    return _store(settings, built, [item["data"] for item in items], listed=True)


def build_items(events: Iterable[Mapping[str, Any]], settings: Settings) -> list[Event]:
    """Validate and build every item of a `publish_events` list; raises ValidationError naming item and field."""
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise ValidationError(f"events: expected a list of event mappings, got {type(events).__name__}.")
    return [_build_item(i, item, settings) for i, item in enumerate(events)]


_ITEM_KEYS = {"event_type", "data", "stack", "branch", "channels", "summary", "idempotency_key"}


def _build_item(i: int, item: Any, settings: Settings) -> Event:
    prefix = f"events[{i}]."
    if not isinstance(item, Mapping):
        raise ValidationError(f"events[{i}]: expected a mapping with event_type and data, got {type(item).__name__}.")
    unknown = sorted(set(item) - _ITEM_KEYS)
    if unknown:
        raise ValidationError(f"{prefix}{unknown[0]}: unknown field (expected one of {', '.join(sorted(_ITEM_KEYS))}).")
    for required in ("event_type", "data"):
        if required not in item:
            raise ValidationError(f"{prefix}{required}: missing.")
    kwargs = {k: v for k, v in item.items() if k not in ("event_type", "data")}
    return build_event(
        item["event_type"], item["data"], max_bytes=settings.max_event_bytes, field_prefix=prefix, **kwargs
    )


def _store(settings: Settings, events: list[Event], data: Sequence[Any], *, listed: bool) -> list[str]:
    try:
        values = [(ev.id, ev.idempotency_key or "", *_values(ev)) for ev in events]
        return store(settings, values, data=data, listed=listed)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise PublishError(
            f"could not publish to Redis at {safe_url(settings.redis_url)} ({type(exc).__name__}); "
            "the event may not be stored: publish again with the same idempotency_key to be safe."
        ) from None
    except redis.RedisError as exc:
        raise _refused(exc) from None


def store(settings: Settings, events: Sequence[Sequence[str | bytes]], *, idempotency_ttl_s: int | None = None,
          data: Sequence[Any] | None = None, listed: bool | None = None) -> list[str]:  # fmt: skip
    """Store built events, each as nine values (id, idempotency key or '', type, stack, branch, channels
    comma-joined, timestamp, body, concise body), in one atomic call; returns their ids.

    For the outbox's relay, which holds rows built at `hooks.outbox.publish`; its keys are remembered
    `idempotency_ttl_s` (default HOOKS_IDEMPOTENCY_TTL_S). `data` is each event's data as given (default: read
    from its body, for strict types only); errors name `events[i].data...` when `listed` (default: more than one
    event), else `data...`. Raises ValidationError when a strict type's schema refuses an event (nothing is
    stored), Redis's own errors, and PublishError when HOOKS_PUBLISH_MIN_REPLICAS replicas do not have the events
    in time.
    """
    client = get_redis(settings)
    started = time.monotonic()
    args: list[Any] = [*kick_args(settings, time.time()), int(settings.retention_days * 86400),
                       idempotency_ttl_s or settings.idempotency_ttl_s]  # fmt: skip
    head = len(args)
    for values in events:
        args.extend(values)
        args.append("")  # the schema version: none, until the catalogue's cache says otherwise
    versioned = False
    for _ in range(strict.MAX_TRIES):
        if versioned or strict.cache_for(settings):  # no strict type met in this process: nothing to check
            versioned = True
            for i, version in enumerate(_versions(settings, events, data, listed)):
                args[head + i * 10 + 9] = version
        results = _PUBLISH.run(client, *args)  # one EVALSHA, so one round trip and all or nothing
        if not results or results[0] != strict.STALE:
            break
        strict.refresh(settings, results[1:])  # a strict type met for the first time, or changed since: load it
    else:
        raise PublishError("the event catalogue changed under every try to publish; nothing was stored, try again.")
    if settings.publish_min_replicas:
        _wait_for_replicas(client, settings, started)
    return [r.decode() if isinstance(r, bytes) else str(r) for r in results]


def _versions(settings: Settings, events: Sequence[Sequence[str | bytes]], data: Sequence[Any] | None,
              listed: bool | None) -> list[str]:  # fmt: skip
    """The schema version each event was validated against (hooks/catalogue/strict.py); raises ValidationError.

    Its data is the one given, or else parsed from its body (the relay's rows) when its type is strict."""
    data_of: Callable[[int], Any] = data.__getitem__ if data is not None else (
        lambda i: json.loads(events[i][7]).get("data"))  # fmt: skip
    many = len(events) > 1 if listed is None else listed
    field_of: Callable[[int], str] = (lambda i: f"events[{i}].data") if many else (lambda i: "data")
    types = [v[2].decode() if isinstance(v[2], bytes) else v[2] for v in events]
    return strict.versions(settings, types, data_of, field_of)


def _wait_for_replicas(client: redis.Redis, settings: Settings, started: float) -> None:
    """Return once HOOKS_PUBLISH_MIN_REPLICAS replicas have the event, within the publish timeout; raises PublishError."""
    wanted = settings.publish_min_replicas
    # Redis times blocked clients out at its `hz` (10 a second): a WAIT may answer 100 ms late, and the socket's
    # own timeout is the publish timeout; leave it room
    left_ms = max(1, int((settings.publish_timeout_s - (time.monotonic() - started)) * 1000) - 250)
    acked = _PUBLISH.wait_for_replicas(client, wanted, left_ms)
    if acked < wanted:
        raise PublishError(
            f"the event is on the Redis primary but only {acked} of the {wanted} replicas HOOKS_PUBLISH_MIN_REPLICAS "
            f"asks for have it; a failover now could lose it: publish again with the same idempotency_key."
        )


def _refused(exc: redis.RedisError) -> PublishError:
    """Redis answered with an error: out of memory is said plainly (nothing was stored, see publish.lua)."""
    if is_out_of_memory(exc):
        return PublishError("Redis is out of memory (maxmemory reached): the event was not stored; it is accepted "
                            "again once the workers have freed memory or maxmemory is raised.")  # fmt: skip
    return PublishError(f"Redis refused the event ({type(exc).__name__}: {str(exc)[:200]}).")


def _values(ev: Event) -> tuple[str | bytes, ...]:
    return (ev.type, ev.stack, ev.branch, ",".join(ev.channels), ev.timestamp, ev.body, ev.concise_body)
