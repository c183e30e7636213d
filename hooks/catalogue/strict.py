"""Strict types on the publish path, with no Redis call of their own while nothing changes.

Each process keeps {type: (version, compiled validator)} for the strict types it has met. A publish validates the
`data` of each event whose type is in that cache and tells `publish.lua` which version it checked against ('' for
"not strict as far as I know"). The script compares with `{p}:evtype:strict` (HGET, in the same call that stores)
and, on any difference, stores nothing and answers `validate` with the current versions: `refresh` then loads
those types, and the publish is tried again. So a schema added, replaced or removed by any process holds from
the next publish of every other, and a type nobody made strict costs one HGET inside the script.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hooks.catalogue.schema import compile_schema, validate
from hooks.catalogue.store import get_event_type, strict_key
from hooks.errors import NotFoundError, ValidationError
from hooks.settings import Settings
from hooks.store.connection import get_redis

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

STALE = b"validate"  # the script's first answer when a version differs (an event id starts with `evt_`)
MAX_TRIES = 4

_caches: dict[tuple[str, str], dict[str, tuple[str, Validator]]] = {}


def cache_for(settings: Settings) -> dict[str, tuple[str, Validator]]:
    """This process's strict types for one Redis and prefix: type -> (version, validator)."""
    key = (settings.redis_url, settings.key_prefix)
    found = _caches.get(key)
    return found if found is not None else _caches.setdefault(key, {})


def versions(settings: Settings, types: Sequence[str], data_of: Callable[[int], Any],
             field_of: Callable[[int], str]) -> list[str]:  # fmt: skip
    """The version each event's `data` was validated against ('' where its type is not known strict here).

    Raises ValidationError naming the path (`data.entry.title: 5 is not of type 'string'.`) once Redis confirms
    the schema that refused it is still the current one (else the type is reloaded and the events checked again).
    """
    cache = cache_for(settings)
    for _ in range(MAX_TRIES):
        if not cache:  # no strict type met: the common case costs one test
            return [""] * len(types)
        out, refused = _check(cache, types, data_of, field_of)
        if refused is None:
            return out
        name, version, error = refused
        current = get_redis(settings).hget(strict_key(settings), name)
        if _text(current or b"") == version:
            raise error
        refresh(settings, [name, current or b""])
    raise ValidationError(f"{field_of(0).split('.')[0]}: the catalogue's schema kept changing while checking it.")


def _check(cache: dict[str, tuple[str, Validator]], types: Sequence[str], data_of: Callable[[int], Any],
           field_of: Callable[[int], str]) -> tuple[list[str], tuple[str, str, ValidationError] | None]:  # fmt: skip
    out = []
    for i, name in enumerate(types):
        entry = cache.get(name)
        if entry is None:
            out.append("")
            continue
        try:
            validate(entry[1], data_of(i), field_of(i))
        except ValidationError as exc:
            return out, (name, entry[0], exc)
        out.append(entry[0])
    return out, None


def refresh(settings: Settings, pairs: Sequence[Any]) -> None:
    """Load the types whose version the script said differs (flat type, version pairs; '' = not strict)."""
    cache = cache_for(settings)
    for i in range(0, len(pairs) - 1, 2):
        name = _text(pairs[i])
        if not _text(pairs[i + 1]):
            cache.pop(name, None)
            continue
        try:
            found = get_event_type(name, settings=settings)
        except NotFoundError:  # removed since: the next call says so
            cache.pop(name, None)
            continue
        if found.version and found.schema is not None:
            cache[name] = (found.version, compile_schema(found.schema))
        else:
            cache.pop(name, None)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
