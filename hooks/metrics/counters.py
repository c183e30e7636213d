"""Counting what the archiver archives: per webhook, since ever and in 5-minute and hourly buckets.

The archiver turns each batch's records into operations (`archived_ops`) that the script acknowledging the
batch's stream entries runs (workers/archiver/acknowledge.lua), so the counters move in the same atomic call as
the acknowledgement, on a full Redis too: a batch is counted when it is archived, once. (Two archivers that both write a batch whose entries one of them claimed while the other was
still on it count it twice; the history stores it once. That needs an archiver stalled past
HOOKS_ARCHIVE_CLAIM_IDLE_S.) `tally` is pure, so it is tested without Redis.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis

from hooks.history.records import AttemptRecord, DeliveryRecord
from hooks.metrics.keys import ALL, BUCKETS_S, FIVE_MIN_S, FIVE_MIN_TTL_S, HOUR_S, HOUR_TTL_S, MetricKeys
from hooks.settings import Settings
from hooks.store.scripts import beside

__all__ = [
    "OpRecorder",
    "Tally",
    "archived_ops",
    "count_archived",
    "outcome",
    "status_class",
    "tally",
    "uncount_replayed",
]

SUM_FIELD = "l:sum_ms"
_UNCOUNT = beside(__file__, "uncount")


@dataclass
class Tally:
    """A batch's increments: per webhook since ever, per (webhook or ALL, bucket), in all, and the last errors."""

    webhooks: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    five_min: dict[tuple[str, int], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    hours: dict[tuple[str, int], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    totals: Counter[str] = field(default_factory=Counter)
    last_error: dict[str, tuple[float, str]] = field(default_factory=dict)

    def add(self, webhook_id: str, at_s: float, name: str, amount: float = 1) -> None:
        """Add `amount` to `name` for a webhook at a time (since ever, in its buckets, in all)."""
        self.webhooks[webhook_id][name] += amount  # type: ignore[assignment]
        self.totals[name] += amount  # type: ignore[assignment]
        for wh in (webhook_id, ALL):
            self.five_min[(wh, int(at_s // FIVE_MIN_S))][name] += amount  # type: ignore[assignment]
            self.hours[(wh, int(at_s // HOUR_S))][name] += amount  # type: ignore[assignment]


class Ended(Protocol):
    """What `outcome` reads of a delivery: a history record or the model of one (hooks.models.delivery)."""

    webhook_id: str
    status: str
    updated_at: float
    in_dlq: bool


def outcome(record: Ended) -> str | None:
    """How a delivery record ends: delivered, dead_lettered or failed; None while it is pending."""
    if record.status == "delivered":
        return "delivered"
    if record.status == "failed":
        return "dead_lettered" if record.in_dlq else "failed"
    return None


def status_class(status_code: int | None) -> str:
    """2xx, 3xx, 4xx or 5xx for an HTTP status; `error` when there was no answer (timeout, refused, blocked...)."""
    if status_code is None or not 200 <= status_code <= 599:
        return "error"
    return f"{status_code // 100}xx"


def tally(deliveries: Iterable[DeliveryRecord], attempts: Iterable[AttemptRecord]) -> Tally:
    """The increments a batch of records makes (pure)."""
    out = Tally()
    for d in deliveries:
        ended = outcome(d)
        if ended is not None:
            out.add(d.webhook_id, d.updated_at, f"d:{ended}")
    for a in attempts:
        out.add(a.webhook_id, a.started_at, f"a:{status_class(a.status_code)}")
        out.add(a.webhook_id, a.started_at, f"l:{bisect_left(BUCKETS_S, a.duration_ms / 1000)}")
        out.add(a.webhook_id, a.started_at, SUM_FIELD, a.duration_ms)
        if a.status_code is None or not 200 <= a.status_code < 300:
            known = out.last_error.get(a.webhook_id)
            if known is None or known[0] <= a.started_at:
                out.last_error[a.webhook_id] = (a.started_at, error_text(a))
    return out


def error_text(a: AttemptRecord) -> str:
    """One line for an attempt that failed: `HTTP 503` or the error's name."""
    return f"HTTP {a.status_code}" if a.status_code is not None else (a.error or "error")


def count_archived(pipe: Any, settings: Settings, deliveries: Iterable[DeliveryRecord],
                   attempts: Iterable[AttemptRecord]) -> None:  # fmt: skip
    """Queue on `pipe` (a redis-py pipeline; the caller executes it) the counters' increments for these records."""
    queue(pipe, MetricKeys(settings), tally(deliveries, attempts))


def archived_ops(settings: Settings, deliveries: Iterable[DeliveryRecord],
                 attempts: Iterable[AttemptRecord]) -> list[Any]:  # fmt: skip
    """The counters' increments for these records as acknowledge.lua's flat list of operations."""
    recorder = OpRecorder()
    queue(recorder, MetricKeys(settings), tally(deliveries, attempts))
    return recorder.ops


class OpRecorder:
    """Takes the pipeline calls `queue` makes and writes them down as acknowledge.lua's operations."""

    def __init__(self) -> None:
        self.ops: list[Any] = []

    def hincrby(self, key: str, name: str, n: int) -> None:
        self.ops += ["i", key, name, n]

    def hincrbyfloat(self, key: str, name: str, x: float) -> None:
        self.ops += ["f", key, name, repr(x)]

    def expire(self, key: str, seconds: int) -> None:
        self.ops += ["e", key, seconds]

    def zincrby(self, key: str, n: float, member: str) -> None:
        self.ops += ["z", key, n, member]

    def hset(self, key: str, *, mapping: dict[str, Any]) -> None:
        for name, value in mapping.items():
            self.ops += ["h", key, name, value]


def queue(pipe: Any, keys: MetricKeys, t: Tally) -> None:
    """Queue a tally's increments on a pipeline: HINCRBY per field, bucket keys given their expiry."""
    for webhook_id, counts in t.webhooks.items():
        _increments(pipe, keys.webhook(webhook_id), counts)
        pipe.zincrby(keys.activity, sum(n for name, n in counts.items() if name[0] in "ad"), webhook_id)
    for (webhook_id, n), counts in t.five_min.items():
        _increments(pipe, keys.five_min(webhook_id, n), counts, ttl_s=FIVE_MIN_TTL_S)
    for (webhook_id, n), counts in t.hours.items():
        _increments(pipe, keys.hour(webhook_id, n), counts, ttl_s=HOUR_TTL_S)
    _increments(pipe, keys.totals, t.totals)
    for webhook_id, (at_s, text) in t.last_error.items():
        pipe.hset(keys.webhook(webhook_id), mapping={"last_error": text[:200], "last_error_at": at_s})


def _increments(pipe: Any, key: str, counts: Counter[str], *, ttl_s: int | None = None) -> None:
    for name, n in counts.items():
        if name == SUM_FIELD:
            pipe.hincrbyfloat(key, name, round(n, 3))
        else:
            pipe.hincrby(key, name, int(n))
    if ttl_s is not None:
        pipe.expire(key, ttl_s)


def uncount_replayed(client: redis.Redis, settings: Settings, finished: Iterable[Ended]) -> None:
    """Take back the outcome the windows counted for deliveries put back in flight (a replay), so a replayed
    delivery counts once, by how its last round ends. `finished` are the deliveries as they were (the record the
    archiver counted, read by the same `outcome`). A bucket whose period is older than its TTL is gone (or about
    to go) and is left alone, not made again holding only a -1; a live one keeps its TTL (uncount.lua). The
    since-ever counters stay: they are Prometheus counters, which only grow."""
    keys, now, args = MetricKeys(settings), time.time(), []
    for d in finished:
        ended = outcome(d)
        if ended is None:
            continue
        for wh in (d.webhook_id, ALL):
            for key, ttl_s in ((keys.five_min(wh, int(d.updated_at // FIVE_MIN_S)), FIVE_MIN_TTL_S),
                               (keys.hour(wh, int(d.updated_at // HOUR_S)), HOUR_TTL_S)):  # fmt: skip
                if d.updated_at >= now - ttl_s:
                    args += [key, f"d:{ended}", ttl_s]
    if args:
        _UNCOUNT.run(client, *args)
