"""Reading the counters back: a snapshot for `/metrics`, and per-webhook figures over the last hour and day.

A snapshot costs two pipelined round trips whatever the number of webhooks: the most active
`HOOKS_METRICS_TOP_WEBHOOKS` webhooks by id, everything else added up as `other` (all webhooks' totals minus
theirs), and the gauges of the work in flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import redis

from hooks.metrics.keys import BUCKETS_S, CLASSES, FIVE_MIN_S, HOUR_S, OUTCOMES, MetricKeys
from hooks.settings import Settings
from hooks.store.connection import decoded
from hooks.store.keys import Keys

__all__ = [
    "Snapshot",
    "Window",
    "added_windows",
    "breaker_name",
    "counts",
    "quantile_ms",
    "snapshot",
    "window",
    "windows",
]

Counts = dict[str, float]
STATE_FIELDS = ("open_until", "probe_until")


@dataclass
class Snapshot:
    """What `/metrics` shows: counters of the top webhooks and of the rest, breakers, and global gauges."""

    webhooks: dict[str, Counts] = field(default_factory=dict)
    other: Counts = field(default_factory=dict)
    breakers: dict[str, str] = field(default_factory=dict)  # top webhook id -> closed | half-open | open
    gauges: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """One webhook over a window: finished deliveries by outcome, attempts, success rate, latency."""

    delivered: int
    dead_lettered: int
    failed: int
    attempts: int
    p50_ms: float | None
    p99_ms: float | None
    attempts_ok: int = 0  # answered 2xx

    @property
    def attempt_success_rate(self) -> float | None:
        """Attempts answered 2xx / attempts, None when none was made: a failing endpoint whose deliveries are
        still retrying (not finished, so not in `success_rate`) shows here at once."""
        return round(self.attempts_ok / self.attempts, 4) if self.attempts else None

    @property
    def deliveries(self) -> int:
        """Deliveries finished in the window."""
        return self.delivered + self.dead_lettered + self.failed

    @property
    def success_rate(self) -> float | None:
        """Delivered / finished, None when nothing finished."""
        return round(self.delivered / self.deliveries, 4) if self.deliveries else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"deliveries": self.deliveries, "delivered": self.delivered, "dead_lettered": self.dead_lettered,
                "failed": self.failed, "success_rate": self.success_rate, "attempts": self.attempts,
                "attempt_success_rate": self.attempt_success_rate,
                "latency_p50_ms": self.p50_ms, "latency_p99_ms": self.p99_ms}  # fmt: skip


def snapshot(client: redis.Redis, settings: Settings, *, now_s: float | None = None) -> Snapshot:
    """The counters and gauges, as of now."""
    now = time.time() if now_s is None else now_s
    mk, keys = MetricKeys(settings), Keys(settings)
    with client.pipeline(transaction=False) as pipe:
        pipe.zrevrange(mk.activity, 0, settings.metrics_top_webhooks - 1)
        pipe.hgetall(mk.totals)
        for zset in (keys.ready, keys.capped, keys.rated_wait, keys.breakers):
            pipe.zrange(zset, 0, -1)
        for zset in (keys.retry, keys.leased, keys.drains, keys.drains_idle, keys.events_all, keys.deliveries_all,
                     keys.webhooks_all, keys.breakers, mk.activity):  # fmt: skip
            pipe.zcard(zset)
        pipe.llen(keys.fanout)
        pipe.xlen(keys.history)
        pipe.xrange(keys.history, count=1)
        top_raw, totals, ready, capped, waiting, open_, *cards, fanout, backlog, first = pipe.execute()
    top = decoded(top_raw)
    out = Snapshot(gauges=_gauges(cards, fanout, backlog, first, now))
    with client.pipeline(transaction=False) as pipe:
        for wh in top:
            pipe.hgetall(mk.webhook(wh))
            pipe.hmget(keys.webhook_state(wh), *STATE_FIELDS)
        for wh in set(decoded(ready) + decoded(capped) + decoded(waiting)):  # a webhook may be capped and waiting
            pipe.llen(keys.ready_list(wh))
        parked = sorted(set(decoded(open_)) | set(top))
        for wh in parked:
            pipe.zcard(keys.waiting(wh))
        replies = pipe.execute()
    for i, wh in enumerate(top):
        out.webhooks[wh] = counts(replies[2 * i])
        out.breakers[wh] = breaker_name(replies[2 * i + 1], now)
    rest = replies[2 * len(top) :]
    out.gauges["ready_deliveries"] = float(sum(rest[: len(rest) - len(parked)]))
    out.gauges["parked_deliveries"] = float(sum(rest[len(rest) - len(parked) :]))
    all_counts = counts(totals)
    out.other = {k: max(0.0, v - sum(c.get(k, 0.0) for c in out.webhooks.values())) for k, v in all_counts.items()}
    return out


def _gauges(cards: list[int], fanout: int, backlog: int, first: Any, now: float) -> dict[str, float]:
    names = ("retry_deliveries", "leased_deliveries", "drains", "drains_idle", "events_in_flight",
             "deliveries_in_flight", "webhooks", "open_breakers", "counted_webhooks")  # fmt: skip
    gauges = {name: float(n) for name, n in zip(names, cards, strict=True)}
    oldest_ms = int(first[0][0].split(b"-")[0]) if first else None
    gauges.update(fanout_events=float(fanout), archiver_backlog_entries=float(backlog),
                  archiver_lag_seconds=max(0.0, now - oldest_ms / 1000) if oldest_ms else 0.0)  # fmt: skip
    return gauges


def breaker_name(state: list[Any], now: float) -> str:
    """closed / half-open / open from a webhook state's (open_until, probe_until), as hooks.registry.health reads it."""
    open_until = float(state[0] or 0)
    probing = float(state[1] or 0) > now
    if open_until == 0:
        return "closed"
    return "half-open" if probing or open_until <= now else "open"


def windows(client: redis.Redis, settings: Settings, webhook_ids: list[str], *,
            now_s: float | None = None) -> dict[str, dict[str, Window]]:  # fmt: skip
    """Each webhook's figures over the last hour (5-minute buckets) and day (hourly buckets): {"1h", "24h"}."""
    return {wh: {name: window(c) for name, c in spans.items()}
            for wh, spans in _window_counts(client, settings, webhook_ids, now_s).items()}  # fmt: skip


def added_windows(client: redis.Redis, settings: Settings, webhook_ids: list[str], *,
                  now_s: float | None = None) -> dict[str, Window]:  # fmt: skip
    """The webhooks' counters added up over the last hour and day (a stack's figures), latency quantiles too."""
    total: dict[str, Counts] = {"1h": {}, "24h": {}}
    for spans in _window_counts(client, settings, webhook_ids, now_s).values():
        for name, fields in spans.items():
            for k, v in fields.items():
                total[name][k] = total[name].get(k, 0.0) + v
    return {name: window(fields) for name, fields in total.items()}


def _window_counts(client: redis.Redis, settings: Settings, webhook_ids: list[str],
                   now_s: float | None) -> dict[str, dict[str, Counts]]:  # fmt: skip
    """Each webhook's counter fields added up over {"1h", "24h"}, in one pipelined round trip."""
    now = time.time() if now_s is None else now_s
    mk = MetricKeys(settings)
    five, hour = int(now // FIVE_MIN_S), int(now // HOUR_S)
    spans = {"1h": [lambda wh, n=n: mk.five_min(wh, n) for n in range(five - 12, five + 1)],
             "24h": [lambda wh, n=n: mk.hour(wh, n) for n in range(hour - 24, hour + 1)]}  # fmt: skip
    with client.pipeline(transaction=False) as pipe:
        for wh in webhook_ids:
            for builders in spans.values():
                for key in builders:
                    pipe.hgetall(key(wh))
        replies = iter(pipe.execute())
    out: dict[str, dict[str, Counts]] = {}
    for wh in webhook_ids:
        out[wh] = {}
        for name, builders in spans.items():
            total: Counts = {}
            for _ in builders:
                for k, v in counts(next(replies)).items():
                    total[k] = total.get(k, 0.0) + v
            out[wh][name] = total
    return out


def window(fields: Counts) -> Window:
    """A Window from added-up counter fields."""
    buckets = [fields.get(f"l:{i}", 0.0) for i in range(len(BUCKETS_S) + 1)]
    d = {o: max(0, int(fields.get(f"d:{o}", 0))) for o in OUTCOMES}  # a replay taken back before it was counted
    attempts = int(sum(fields.get(f"a:{c}", 0) for c in CLASSES))
    return Window(d["delivered"], d["dead_lettered"], d["failed"], attempts, quantile_ms(buckets, 0.5),
                  quantile_ms(buckets, 0.99), int(fields.get("a:2xx", 0)))  # fmt: skip


def quantile_ms(buckets: list[float], q: float) -> float | None:
    """The q-quantile in ms estimated from histogram bucket counts (not cumulative), as Prometheus does."""
    total = sum(buckets)
    if not total:
        return None
    rank, seen = q * total, 0.0
    for i, n in enumerate(buckets):
        if seen + n >= rank and n:
            if i == len(BUCKETS_S):  # +Inf: the highest finite bound is all that is known
                return BUCKETS_S[-1] * 1000
            low = BUCKETS_S[i - 1] if i else 0.0
            return round((low + (BUCKETS_S[i] - low) * (rank - seen) / n) * 1000, 2)
        seen += n
    return BUCKETS_S[-1] * 1000


def counts(raw: dict[bytes, bytes]) -> Counts:
    """The counter fields of a metrics hash (d:, a:, l:) as numbers."""
    out: Counts = {}
    for k, v in raw.items():
        name = k.decode()
        if name[:2] in ("d:", "a:", "l:"):
            out[name] = float(v)
    return out
