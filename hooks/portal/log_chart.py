"""The portal's chart: one stack's deliveries and failures over the last hour and the last day, as SVG.

The counters are kept per webhook (hooks/metrics/series.py); a stack's bucket is the sum of its webhooks' buckets,
read in one pipelined round trip (the buckets of every webhook of the stack, 38 per webhook). Drawn by the
dashboard's `chart` (hooks/api/ui/charts.py): server-side SVG coloured through class names, no inline style or
script, so the portal's strict CSP allows it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from markupsafe import Markup

from hooks.api.ui.charts import SPAN_NAMES, Line, chart
from hooks.metrics.keys import FIVE_MIN_S, MetricKeys
from hooks.metrics.read import Counts, counts, window
from hooks.metrics.series import MIN_SECONDS, SPANS, Point, has_data
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis

CHARTS: list[tuple[str, str, list[Line]]] = [
    (
        "Deliveries finished",
        "",
        [
            Line("fail", "failed", lambda p: float(p.figures.failed + p.figures.dead_lettered)),
            Line("rate", "delivered", lambda p: float(p.figures.delivered)),  # drawn over: the legend fits
        ],
    ),
    (
        "Attempts failed",
        "%",
        [Line("fail", "failed", lambda p: None if p.failure_rate is None else p.failure_rate * 100)],
    ),
]


def stack_series(settings: Settings, webhook_ids: Sequence[str], span: str, *, now_s: float) -> list[Point]:
    """The points of the sum of these webhooks over a span ("1h" or "24h"), oldest first (the last in progress)."""
    width, before = SPANS[span]
    mk = MetricKeys(settings)
    key = mk.five_min if width == FIVE_MIN_S else mk.hour
    current = int(now_s // width)
    numbers = range(current - before, current + 1)
    client = get_redis(settings)
    with client.pipeline(transaction=False) as pipe:
        for webhook_id in webhook_ids:
            for n in numbers:
                pipe.hgetall(key(webhook_id, n))
        replies = iter(pipe.execute())
    totals: list[Counts] = [{} for _ in numbers]
    for _ in webhook_ids:
        for total in totals:
            for name, value in counts(next(replies)).items():
                total[name] = total.get(name, 0.0) + value
    return [Point(n * width, min(width, max(now_s - n * width, MIN_SECONDS)), window(total))
            for n, total in zip(numbers, totals, strict=True)]  # fmt: skip


def stack_charts(webhook_ids: Sequence[str], *, now_s: float | None = None) -> dict[str, list[Markup] | None]:
    """The stack's charts per span; None for a span without any attempt or finished delivery (the empty state)."""
    settings = get_settings()
    now = time.time() if now_s is None else now_s
    out: dict[str, list[Markup] | None] = {}
    for span in SPAN_NAMES:
        points = stack_series(settings, webhook_ids, span, now_s=now)
        out[span] = [chart(title, unit, lines, points, span) for title, unit, lines in CHARTS] if has_data(points) \
            else None  # fmt: skip
    return out
