"""What a delivery is: one event on its way to one webhook, read from its Redis hash (in flight) or the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hooks.models.ids import split_delivery_id

STATUSES = ("pending", "delivered", "failed")


@dataclass
class Delivery:
    """One event on its way to one webhook, with every attempt made."""

    id: str
    event_id: str
    webhook_id: str
    status: str
    attempts: int
    round_attempts: int
    created_at: float
    updated_at: float
    next_attempt_at: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    reason: str | None = None
    dead_lettered_at: float | None = None
    replays: int = 0
    in_dlq: bool = False
    attempt_log: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return dict(self.__dict__)


def parse_delivery(delivery_id: str, raw: dict[bytes, bytes]) -> Delivery:
    """A Delivery from its hash."""
    d = {k.decode(): v.decode() for k, v in raw.items()}
    event_id, webhook_id = split_delivery_id(delivery_id)  # derived, so even a partial record can be read
    return Delivery(
        id=delivery_id,
        event_id=d.get("event_id") or event_id,
        webhook_id=d.get("webhook_id") or webhook_id,
        status=d.get("status", "pending"),
        attempts=int(d.get("attempts", 0)),
        round_attempts=int(d.get("round_attempts", 0)),
        created_at=float(d.get("created_at", 0)),
        updated_at=float(d.get("updated_at", 0)),
        next_attempt_at=_float(d.get("next_attempt_at")),
        last_status=int(d["last_status"]) if d.get("last_status") else None,
        last_error=d.get("last_error") or None,
        reason=d.get("reason") or None,
        dead_lettered_at=_float(d.get("dead_lettered_at")),
        replays=int(d.get("replays", 0)),
        in_dlq=d.get("status") == "failed" and bool(d.get("dead_lettered_at")),
    )


def from_record(record: Any) -> Delivery:
    """A Delivery from the history's record of it (a `hooks.history.DeliveryRecord`)."""
    known = Delivery.__dataclass_fields__
    return Delivery(**{k: v for k, v in record.to_dict().items() if k in known})


def _float(v: str | None) -> float | None:
    return float(v) if v else None
