"""Records for the history tests, at chosen times (ids that encode them, as hooks.ids makes them)."""

from __future__ import annotations

import os

from hooks.history.records import AttemptRecord, DeliveryRecord, EventRecord
from hooks.models.ids import delivery_id

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DAY_S = 86_400.0
BASE_S = 1_795_000_000.0 - 1_795_000_000.0 % DAY_S  # a midnight UTC in November 2026


def _digits(value: int, n: int) -> str:
    return "".join(_CROCKFORD[(value >> (5 * (n - 1 - i))) & 31] for i in range(n))


def id_at(prefix: str, at_s: float) -> str:
    """A new id with `prefix` whose time is `at_s` (ms precision), random in its last 16 digits."""
    return f"{prefix}_{_digits(round(at_s * 1000), 10)}{_digits(int.from_bytes(os.urandom(10), 'big'), 16)}"


def event(at_s: float, *, stack: str = "blog", type: str = "entry.publish", body: str = '{"n":1}') -> EventRecord:
    """An event published at `at_s`."""
    return EventRecord(id=id_at("evt", at_s), type=type, stack=stack, branch="main", channels=["a", 'b"c'],
                       body=body, concise_body='{"c":1}')  # fmt: skip


def delivery(ev: EventRecord, webhook_id: str, *, updated_s: float | None = None, **changes: object) -> DeliveryRecord:
    """A delivery of `ev` to `webhook_id`, pending unless `changes` say otherwise."""
    at = ev.event_at
    values: dict[str, object] = {"id": delivery_id(ev.id, webhook_id), "event_id": ev.id, "webhook_id": webhook_id,
                                 "stack": ev.stack, "status": "pending", "created_at": at,
                                 "updated_at": updated_s if updated_s is not None else at + 1}  # fmt: skip
    values.update(changes)
    return DeliveryRecord(**values)  # type: ignore[arg-type]


def attempt(dl: DeliveryRecord, n: int, **changes: object) -> AttemptRecord:
    """Attempt `n` of delivery `dl`, a 500 unless `changes` say otherwise."""
    values: dict[str, object] = {"delivery_id": dl.id, "attempt": n, "event_id": dl.event_id,
                                 "webhook_id": dl.webhook_id, "started_at": dl.created_at + n, "duration_ms": 3.5,
                                 "outcome": "retry", "status_code": 500, "response": "oops",
                                 "request_headers": {"webhook-id": dl.id}, "next_delay_s": 5.0}  # fmt: skip
    values.update(changes)
    return AttemptRecord(**values)  # type: ignore[arg-type]
