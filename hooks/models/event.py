"""What an event is: its validation and the two request bodies (full and concise) it is delivered as."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hooks.errors import ValidationError
from hooks.models.ids import new_event_id
from hooks.models.rules import check_event_type, check_name

MAX_CHANNELS = 32
MAX_IDEMPOTENCY_KEY = 255
MAX_DEPTH = 32
"""How deep `data` and `summary` may nest (`{}` is 1 level, `{"a": []}` 2): what every reader of an event (the
API, the dashboard, a receiver's JSON parser) reads back without running out of stack."""

_SCALARS = (str, int, float, bool, type(None))
_NESTING = (dict, list, tuple)  # what json.dumps nests (a Mapping that is not a dict does not serialize)


@dataclass(frozen=True)
class Event:
    """A validated event, ready to store: its metadata and serialized bodies."""

    id: str
    type: str
    stack: str
    branch: str
    channels: tuple[str, ...]
    timestamp: str
    body: bytes
    concise_body: bytes
    idempotency_key: str | None

    def topics(self) -> tuple[str, ...]:
        """The type and every channel: the strings webhook patterns are matched against."""
        return (self.type, *self.channels)


def build_event(
    event_type: Any,
    data: Any,
    *,
    stack: Any = "default",
    branch: Any = "main",
    channels: Any = (),
    summary: Any = None,
    idempotency_key: Any = None,
    max_bytes: int,
    field_prefix: str = "",
) -> Event:
    """Validate one event and serialize its bodies; raises ValidationError naming the bad field."""
    p = field_prefix
    check_event_type(event_type, p + "event_type")
    check_name(stack, p + "stack")
    check_name(branch, p + "branch")
    chans = _channels(channels, p + "channels")
    key = _idempotency_key(idempotency_key, p + "idempotency_key")
    if not isinstance(data, Mapping):
        raise ValidationError(f"{p}data: expected a JSON object (a dict), got {type(data).__name__}.")
    if summary is not None and not isinstance(summary, Mapping):
        raise ValidationError(f"{p}summary: expected a JSON object (a dict) or None, got {type(summary).__name__}.")
    check_depth(data, p + "data")
    if summary is not None:
        check_depth(summary, p + "summary")
    concise = summary if summary is not None else {k: v for k, v in data.items() if isinstance(v, _SCALARS)}
    event_id = new_event_id()
    timestamp = _timestamp()
    head = {"id": event_id, "type": event_type, "timestamp": timestamp, "stack": stack, "branch": branch}
    body = _dump({**head, "data": data}, p + "data")
    if len(body) > max_bytes:
        raise ValidationError(
            f"{p}data: the event serializes to {len(body)} bytes, over the limit of {max_bytes} (HOOKS_MAX_EVENT_BYTES)."
        )
    concise_body = _dump({**head, "data": concise}, p + "summary")
    return Event(event_id, event_type, stack, branch, chans, timestamp, body, concise_body, key)


def _timestamp() -> str:
    """Now as `2026-11-28T04:31:47.123Z`; the formatted second is cached (strftime was a tenth of a publish)."""
    global _second
    now = time.time()
    whole = int(now)
    if _second[0] != whole:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(whole)))
    return f"{_second[1]}{int((now - whole) * 1000):03d}Z"


_second: tuple[int, str] = (0, "")


def _channels(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(f"{field}: expected a list of channel names, got {type(value).__name__}.")
    chans = tuple(value)
    if len(chans) > MAX_CHANNELS:
        raise ValidationError(f"{field}: at most {MAX_CHANNELS} channels, got {len(chans)}.")
    for i, chan in enumerate(chans):
        check_event_type(chan, f"{field}[{i}]")
    return tuple(dict.fromkeys(chans))


def _idempotency_key(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_IDEMPOTENCY_KEY or not value.isprintable():
        raise ValidationError(f"{field}: expected 1-{MAX_IDEMPOTENCY_KEY} printable characters or None.")
    return value


def check_depth(value: Any, field: str) -> None:
    """Refuse a value nested deeper than MAX_DEPTH; raises ValidationError naming the field."""
    if _deeper_than(value, MAX_DEPTH):
        raise ValidationError(f"{field}: nests deeper than {MAX_DEPTH} levels.")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and lists nest more than `limit` levels in `value`; a level at a time, without recursion
    (a cycle is deeper than any limit)."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inner: list[Any] = []
        for container in level:
            items = container.values() if isinstance(container, Mapping) else container
            inner += [v for v in items if isinstance(v, _NESTING)]
        level = inner
    return False


def _dump(value: Any, field: str) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{field}: not JSON-serializable ({_reason(exc)}).") from None
    except RecursionError:
        raise ValidationError(f"{field}: nested too deeply to serialize.") from None


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Out of range float" in text:
        return "NaN and infinity are not JSON"
    if "keys must be" in text:
        return "object keys must be strings, numbers, booleans or None"
    return text.split("\n")[0][:120]
