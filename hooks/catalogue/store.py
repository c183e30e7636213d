"""The catalogue's entries in Redis: add (or replace), get, list, remove; see the package docstring for the keys.

An entry and its line in `{p}:evtype:strict` are written in one MULTI, so a publish never sees a strict type
without its schema, nor the other way round.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from hooks.catalogue.schema import check_entry, version_of
from hooks.errors import NotFoundError
from hooks.models.rules import check_event_type
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis


@dataclass(frozen=True)
class EventType:
    """One type of the catalogue: `schema` describes the `data` of its events, `example` is such a `data`."""

    name: str
    description: str = ""
    schema: dict[str, Any] | None = None
    example: Any = None
    strict: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)

    @property
    def version(self) -> str:
        """The digest of its schema while it is strict (what `{p}:evtype:strict` holds), else ''."""
        return version_of(self.schema) if self.strict and self.schema is not None else ""


def all_key(settings: Settings) -> str:
    """The hash of every entry: name -> the type, JSON."""
    return f"{settings.key_prefix}:evtype:all"


def strict_key(settings: Settings) -> str:
    """The hash of the strict types only: name -> the version of its schema (read by publish.lua)."""
    return f"{settings.key_prefix}:evtype:strict"


def add_event_type(name: str, *, description: str = "", schema: dict[str, Any] | None = None, example: Any = None,
                   strict: bool = False, settings: Settings | None = None) -> EventType:  # fmt: skip
    """Register (or replace) an event type; returns it. A replaced type keeps its `created_at`.

    Raises ValidationError naming the field: `name`, `description` (<= 2,000 characters), `schema` (a JSON Schema
    its dialect accepts, local references only), `example` (must pass the schema), `strict` (needs a schema); the
    schema and example together are at most 64 KiB of JSON.
    """
    s = settings or get_settings()
    check_entry(name, description, schema, example, strict)
    client = get_redis(s)
    now = time.time()
    before = client.hget(all_key(s), name)
    created = float(json.loads(before).get("created_at") or now) if before else now
    made = EventType(name, description, schema, example, strict, created, now)
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(all_key(s), name, json.dumps(made.to_dict()))
        if made.version:
            pipe.hset(strict_key(s), name, made.version)
        else:
            pipe.hdel(strict_key(s), name)
        pipe.execute()
    return made


def get_event_type(name: str, *, settings: Settings | None = None) -> EventType:
    """A registered type; raises NotFoundError (or ValidationError for a name no type can have)."""
    s = settings or get_settings()
    check_event_type(name, "name")
    raw = get_redis(s).hget(all_key(s), name)
    if raw is None:
        raise NotFoundError(f"event_type: no event type {name!r} in the catalogue.")
    return _loaded(raw)


def list_event_types(*, settings: Settings | None = None) -> list[EventType]:
    """Every registered type, by name."""
    s = settings or get_settings()
    raw: dict[bytes, bytes] = get_redis(s).hgetall(all_key(s))  # type: ignore[assignment]
    return sorted((_loaded(v) for v in raw.values()), key=lambda t: t.name)


def remove_event_type(name: str, *, settings: Settings | None = None) -> EventType:
    """Unregister a type (its events are no longer checked, at once in every process); raises NotFoundError."""
    s = settings or get_settings()
    found = get_event_type(name, settings=s)
    with get_redis(s).pipeline(transaction=True) as pipe:
        pipe.hdel(all_key(s), name)
        pipe.hdel(strict_key(s), name)
        pipe.execute()
    return found


_FIELDS = set(EventType.__dataclass_fields__)


def _loaded(raw: bytes | str) -> EventType:
    """An entry as stored; fields a later version may add are left out rather than refused."""
    data = json.loads(raw)
    return EventType(**{k: v for k, v in data.items() if k in _FIELDS})
