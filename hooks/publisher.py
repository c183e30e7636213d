"""`publish_event`: validate, store the event and enqueue its fan-out in one atomic round trip."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import redis

from config import Settings, get_settings
from hooks.connection import get_redis
from hooks.errors import PublishError, ValidationError
from hooks.events import Event, build_event
from hooks.keys import EVENTS_QUEUE, Keys
from hooks.taskmsg import FAN_OUT_TASK, task_message

# KEYS: idempotency key (or the event key again when there is none), event key, events queue.
# ARGV: event id, retention s, idempotency ttl s, has idempotency key (0/1), task message, field, value, ...
_PUBLISH_LUA = """
if ARGV[4] == '1' then
  local first = redis.call('GET', KEYS[1])
  if first then return first end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
end
redis.call('HSET', KEYS[2], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('LPUSH', KEYS[3], ARGV[5])
return ARGV[1]
"""


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

    Raises ValidationError (a ValueError) naming the bad field, or PublishError when Redis cannot be reached
    within `HOOKS_PUBLISH_TIMEOUT_S`. With an `idempotency_key` seen in the last 24 h, returns the first
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
    return _store(settings, [event])[0]


def publish_events(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Publish many events in one round trip, all or none; returns their ids in order.

    Each item is a mapping with the keyword arguments of `publish_event` (`event_type` and `data` required).
    Raises ValidationError naming the item and field (nothing is stored then), or PublishError.
    """
    settings = get_settings()
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise ValidationError(f"events: expected a list of event mappings, got {type(events).__name__}.")
    built = []
    for i, item in enumerate(events):
        built.append(_build_item(i, item, settings))
    if not built:
        return []
    return _store(settings, built)


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


def _store(settings: Settings, events: list[Event]) -> list[str]:
    client = get_redis(settings)
    keys = Keys(settings)
    script = client.register_script(_PUBLISH_LUA)
    retention_s = int(settings.retention_days * 86400)
    calls = [_script_call(keys, ev, retention_s, settings) for ev in events]
    try:
        if len(calls) == 1:  # EVALSHA straight away: a pipeline would first ask SCRIPT EXISTS (a second trip)
            results = [script(keys=calls[0][0], args=calls[0][1])]
        else:
            with client.pipeline(transaction=True) as pipe:
                for call_keys, call_args in calls:
                    script(keys=call_keys, args=call_args, client=pipe)
                results = pipe.execute()
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise PublishError(
            f"could not publish to Redis at {_safe_url(settings.redis_url)} ({type(exc).__name__}); "
            "the event may not be stored: publish again with the same idempotency_key to be safe."
        ) from None
    except redis.RedisError as exc:
        raise PublishError(f"Redis refused the event ({type(exc).__name__}: {str(exc)[:200]}).") from None
    return [r.decode() if isinstance(r, bytes) else str(r) for r in results]


def _script_call(keys: Keys, ev: Event, retention_s: int, settings: Settings) -> tuple[list[str], list[Any]]:
    event_key = keys.event(ev.id)
    idem_key = keys.idempotency(ev.idempotency_key) if ev.idempotency_key else event_key
    message = task_message(FAN_OUT_TASK, ev.id, EVENTS_QUEUE)
    args = [ev.id, retention_s, settings.idempotency_ttl_s, 1 if ev.idempotency_key else 0, message, *_fields(ev)]
    return [idem_key, event_key, EVENTS_QUEUE], args


def _fields(ev: Event) -> list[str | bytes]:
    return [
        "type", ev.type,
        "stack", ev.stack,
        "branch", ev.branch,
        "channels", ",".join(ev.channels),
        "timestamp", ev.timestamp,
        "body", ev.body,
        "concise_body", ev.concise_body,
    ]  # fmt: skip


def _safe_url(url: str) -> str:
    """The Redis URL without its password."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
