"""The windows bucket by bucket, for charts: the last hour in 5-minute buckets, the last day in hourly ones.

Read from the counters the archiver keeps (hooks/metrics/counters.py): each bucket holds exactly what the
history received in it (finished deliveries by outcome, attempts by status class, an attempt duration
histogram), so a point costs one HGETALL, whatever the traffic, and agrees with the history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from hooks.metrics.keys import FIVE_MIN_S, HOUR_S, MetricKeys
from hooks.metrics.read import Window, counts, window
from hooks.settings import Settings

SPANS = {"1h": (FIVE_MIN_S, 12), "24h": (HOUR_S, 24)}  # bucket width, buckets before the current one
# The bucket in progress is divided by at least this: just after its boundary, `now - start` is under a second
# and one delivery plotted as ~1/s, a spike at the chart's right edge. (Its figures then read low for its first
# minute, as an average over that minute would.)
MIN_SECONDS = 60.0


@dataclass(frozen=True)
class Point:
    """One bucket: when it starts, the seconds it covers so far (at least MIN_SECONDS), and its figures."""

    start_s: float
    seconds: float
    figures: Window

    @property
    def per_second(self) -> float:
        """Deliveries finished per second in the bucket."""
        return self.figures.deliveries / self.seconds if self.seconds else 0.0

    @property
    def failure_rate(self) -> float | None:
        """Attempts that failed / attempts (None without attempts): a down endpoint shows before anything ends."""
        rate = self.figures.attempt_success_rate
        return None if rate is None else round(1 - rate, 4)


def series(client: redis.Redis, settings: Settings, webhook_id: str, span: str, *,
           now_s: float | None = None) -> list[Point]:  # fmt: skip
    """The points of one webhook (or `ALL`) over a span ("1h" or "24h"), oldest first; the last one is the
    bucket in progress."""
    now = time.time() if now_s is None else now_s
    width, before = SPANS[span]
    mk = MetricKeys(settings)
    key = mk.five_min if width == FIVE_MIN_S else mk.hour
    current = int(now // width)
    numbers = range(current - before, current + 1)
    with client.pipeline(transaction=False) as pipe:
        for n in numbers:
            pipe.hgetall(key(webhook_id, n))
        replies = pipe.execute()
    return [
        Point(n * width, min(width, max(now - n * width, MIN_SECONDS)), window(counts(raw)))
        for n, raw in zip(numbers, replies, strict=True)
    ]


def has_data(points: list[Point]) -> bool:
    """Whether any bucket counted an attempt or a finished delivery."""
    return any(p.figures.attempts or p.figures.deliveries for p in points)
