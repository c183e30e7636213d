"""The event catalogue: the event types a product sends, each with a description, a JSON Schema and an example.

The portal lists them for customers to subscribe to; `publish_event` checks `data` against the schema of a type
registered with `strict`. Unregistered types keep working as before.

| key                 | type | holds                                                              |
|---------------------|------|--------------------------------------------------------------------|
| {p}:evtype:all      | hash | event type name -> the type, JSON (description, schema, example, strict, created_at) |
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from hooks.errors import NotFoundError
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis

__all__ = ["EventType", "add_event_type", "get_event_type", "list_event_types", "remove_event_type"]


@dataclass(frozen=True)
class EventType:
    """One type of the catalogue."""

    name: str
    description: str = ""
    schema: dict[str, Any] | None = None
    example: Any = None
    strict: bool = False
    created_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


def _key(settings: Settings) -> str:
    return f"{settings.key_prefix}:evtype:all"


def add_event_type(name: str, *, description: str = "", schema: dict[str, Any] | None = None, example: Any = None,
                   strict: bool = False, settings: Settings | None = None) -> EventType:  # fmt: skip
    """Register (or replace) an event type; returns it."""
    s = settings or get_settings()
    made = EventType(name, description, schema, example, strict, time.time())
    get_redis(s).hset(_key(s), name, json.dumps(made.to_dict()))
    return made


def get_event_type(name: str, *, settings: Settings | None = None) -> EventType:
    """A registered type; raises NotFoundError."""
    s = settings or get_settings()
    raw = get_redis(s).hget(_key(s), name)
    if raw is None:
        raise NotFoundError(f"event_type: no event type {name!r} in the catalogue.")
    return EventType(**json.loads(raw))


def list_event_types(*, settings: Settings | None = None) -> list[EventType]:
    """Every registered type, by name."""
    s = settings or get_settings()
    raw: dict[bytes, bytes] = get_redis(s).hgetall(_key(s))  # type: ignore[assignment]
    return sorted((EventType(**json.loads(v)) for v in raw.values()), key=lambda t: t.name)


def remove_event_type(name: str, *, settings: Settings | None = None) -> EventType:
    """Unregister a type; raises NotFoundError."""
    s = settings or get_settings()
    found = get_event_type(name, settings=s)
    get_redis(s).hdel(_key(s), name)
    return found
