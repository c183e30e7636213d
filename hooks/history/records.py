"""The records the history stores: plain dataclasses, JSON-friendly both ways (times are Unix float seconds).

The archiver builds them from what Redis hands it (`from_dict`); the queries return them. Every record of one
event (the event, its deliveries, their attempts) carries the event's time, `event_at_s`, decoded from the ids:
it is the partition key, so all of them land in the same day partition.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar, cast

__all__ = ["STATUSES", "AttemptRecord", "DeliveryRecord", "EventRecord", "event_at_s"]

STATUSES = ("pending", "delivered", "failed")

# Python's int(text, 32) reads base32hex (0-9, a-v): map Crockford's alphabet onto it to decode in C.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_BASE32HEX = str.maketrans(_CROCKFORD, "0123456789abcdefghijklmnopqrstuv")

MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last time a datetime holds

R = TypeVar("R")


def event_at_s(any_id: str) -> float:
    """The event's Unix time in seconds, read from an event or delivery id; raises ValueError on a malformed id."""
    _, sep, body = any_id.partition("_")
    stamp = body[:10]
    if not sep or len(stamp) != 10 or stamp.strip(_CROCKFORD):
        raise ValueError(f"not an id that encodes a time: {any_id!r}")
    ms = int(stamp.translate(_TO_BASE32HEX), 32)
    if ms > MAX_MS:
        raise ValueError(f"not an id that encodes a time: {any_id!r}")
    return ms / 1000.0


@functools.cache
def _known(cls: Any) -> frozenset[str]:
    """The field names of a dataclass (computed once: the archiver builds a hundred thousand records a minute)."""
    return frozenset(f.name for f in fields(cls))


def _build(cls: type[R], data: Mapping[str, Any]) -> R:
    """An instance of the dataclass `cls` from the keys of `data` it knows; raises ValueError naming a missing key."""
    try:
        return cls(**data)  # the common case, twice as fast as filtering first: no key it does not know
    except TypeError:
        pass
    known = _known(cast(Any, cls))
    try:
        return cls(**{k: v for k, v in data.items() if k in known})
    except TypeError as exc:
        raise ValueError(f"{cls.__name__}: {exc}") from None


class _Record:
    """What the three records share: built from and turned into JSON-friendly data, placed by their id's time."""

    __slots__ = ()
    _KEY = "id"  # the field whose id encodes the event's time (the partition key)

    @property
    def event_at(self) -> float:
        """The event's time in Unix seconds, read from the id."""
        return event_at_s(getattr(self, self._KEY))

    @classmethod
    def from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
        """A record from JSON-friendly data (unknown keys ignored); raises ValueError when a required key is missing."""
        return _build(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly data."""
        return asdict(self)  # type: ignore[call-overload]


@dataclass(slots=True)
class EventRecord(_Record):
    """One published event: what was sent (the exact JSON text) and where it belongs."""

    id: str
    type: str
    stack: str
    branch: str = ""
    channels: list[str] = field(default_factory=list)
    body: str | None = None
    concise_body: str | None = None
    erased_at: float | None = None
    filtered_out: list[str] | None = None  # webhooks its payload filters left out (<= 100); None before 0004
    filtered_count: int | None = None


@dataclass(slots=True)
class DeliveryRecord(_Record):
    """The state of one event's delivery to one webhook at `updated_at` (a newer state replaces an older one)."""

    id: str
    event_id: str
    webhook_id: str
    stack: str
    status: str
    created_at: float
    updated_at: float
    attempts: int = 0
    round_attempts: int = 0
    replays: int = 0
    next_attempt_at: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    reason: str | None = None
    dead_lettered_at: float | None = None
    in_dlq: bool = False


@dataclass(slots=True)
class AttemptRecord(_Record):
    _KEY = "delivery_id"  # the delivery's id gives the event's time
    """One HTTP attempt of a delivery (`attempt` counts from 1 over the delivery's whole life)."""

    delivery_id: str
    attempt: int
    event_id: str
    webhook_id: str
    started_at: float
    duration_ms: float
    outcome: str
    round: int = 0
    replay: bool = False
    status_code: int | None = None
    error: str | None = None
    address: str | None = None
    response: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    next_delay_s: float | None = None
    response_headers: list[list[str]] | None = None  # [name, value] pairs, bounded and redacted; None before 0003
