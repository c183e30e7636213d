"""A drain's batch: the deliveries of one webhook it took, attempted in order, and what the next take settles.

`send_batch` attempts them one after the other over the thread's kept-alive connection; the first failure (or
the end of the drain's slice) stops it, and the rest are given back. The records it makes (attempt log, new
state, retry or dead-letter entry) go to the drain's next take script (`Settled.args`), so a drain makes one
Redis call per batch.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis

from hooks.models.delivery import Delivery, parse_delivery
from hooks.models.webhook import Webhook, parse_stored
from hooks.settings import Settings
from workers.attempt.attempt import Attempt, attempt
from workers.attempt.proxy import PROXY_ERROR
from workers.attempt.record import Record, after_dead, finish_without_attempt, record
from workers.breaker import breaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Batch:
    """Deliveries of one webhook taken by a drain, with everything needed to send them (from the take script)."""

    webhook_id: str
    failures: int  # the breaker's consecutive failures when taken
    webhook: Webhook | None
    ids: list[str]
    hashes: list[dict[bytes, bytes]]
    bodies: list[list[bytes | None]]

    @classmethod
    def from_reply(cls, reply: list[Any]) -> Batch:
        """Parse the take script's `deliver` reply."""
        return cls(
            webhook_id=reply[1].decode(),
            failures=int(reply[2]),
            webhook=parse_stored(reply[3]) if reply[3] is not None else None,
            ids=[d.decode() for d in reply[4]],
            hashes=[dict(zip(f[::2], f[1::2], strict=True)) for f in reply[5]],
            bodies=reply[6],
        )


@dataclass
class Settled:
    """A sent batch as the next take script settles it, and what to do once that is written."""

    webhook_id: str = ""
    records: list[Record] = field(default_factory=list)
    give_back: list[str] = field(default_factory=list)
    dead: list[tuple[Delivery, Webhook, str]] = field(default_factory=list)
    ended_ok: bool = False  # the last attempt succeeded: the take script resets the breaker's failure count
    outcomes: Counter[str] = field(default_factory=Counter)

    def options(self) -> dict[str, Any]:
        """The take script's options about this batch (take.lua's header has them)."""
        history = [r.history for r in self.records if r.history is not None]
        return {"previous": self.webhook_id, "succeeded": int(self.ended_ok),
                "history": orjson.dumps(history) if history else "", "records": len(self.records)}  # fmt: skip

    def tail(self) -> list[Any]:
        """The take script's arguments after its options: the records, then the ids given back."""
        return [*(a for r in self.records for a in r.args()), len(self.give_back), *self.give_back]

    def after_written(self, client: redis.Redis, settings: Settings) -> None:
        """Once the records are in Redis: announce dead-lettered deliveries."""
        for delivery, webhook, reason in self.dead:
            after_dead(client, settings, delivery, webhook, reason)


def send_batch(batch: Batch, slice_end: float, settings: Settings, client: redis.Redis) -> Settled:
    """Attempt a batch of one webhook's deliveries in order; the first failure or the end of the slice stops it.

    A failure is fed to the breaker at once (before the next take, so the take sees it); the records, the
    deliveries not attempted and whether the batch ended in success go to the next take script.
    """
    out = Settled(batch.webhook_id)
    attempted: list[bool] = []
    proxy_failed = False  # the last attempt failed at the egress proxy: not the endpoint's failure
    for i, d in enumerate(batch.ids):
        if (attempted and not attempted[-1]) or (i and time.monotonic() >= slice_end):
            out.give_back = batch.ids[i:]
            break
        outcome, rec, sent = _one(settings, d, batch.hashes[i], batch.bodies[i], batch.webhook)
        out.outcomes[outcome] += 1
        out.records.append(rec)
        if sent is not None:
            attempted.append(sent.result.ok)
            proxy_failed = sent.result.error == PROXY_ERROR
            if sent.decision.outcome == "dead" and batch.webhook is not None:
                out.dead.append((parse_delivery(d, batch.hashes[i]), batch.webhook, sent.decision.reason or ""))
    if batch.webhook is not None and attempted:
        if attempted[-1]:
            out.ended_ok = True
        else:  # the breaker sees it now, before the next take: successes first (they end a run), then the failure
            if len(attempted) > 1:
                breaker.observe(client, settings, batch.webhook, True)
            if not proxy_failed:  # the proxy's failure is not charged to the endpoint's breaker
                breaker.observe(client, settings, batch.webhook, False)
    return out


def _one(settings: Settings, delivery_id: str, raw: dict[bytes, bytes], bodies: list[bytes | None],
         webhook: Webhook | None) -> tuple[str, Record, Attempt | None]:  # fmt: skip
    """Attempt one delivery if it still needs one. Returns (outcome, what to write, the attempt made)."""
    if not raw:
        log.warning("deliver: delivery %s is not stored (expired?); nothing to do", delivery_id)
        return "missing", Record(delivery_id), None
    delivery = parse_delivery(delivery_id, raw)
    if delivery.status != "pending":
        return "skipped", Record(delivery_id), None  # already finished: a lease that ran out while it was sent
    if webhook is None:
        return "failed", finish_without_attempt(delivery, "", "failed", "webhook_deleted"), None
    if not webhook.enabled:
        return "dead", finish_without_attempt(delivery, webhook.stack, "dead", "webhook_disabled"), None
    body = bodies[1] if webhook.concise else bodies[0]
    if body is None:  # its TTL ran out, or it was erased
        return "failed", finish_without_attempt(delivery, webhook.stack, "failed", "event_expired"), None
    sent = attempt(delivery, webhook, body, settings)
    return sent.decision.outcome, record(settings, delivery, webhook, sent), sent
