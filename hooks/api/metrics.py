"""`/metrics`: the Prometheus exposition (needs an API key; a read-only one will do).

Per webhook (label `webhook`, its id; the HOOKS_METRICS_TOP_WEBHOOKS most active, the rest added up as
`other`): `hooks_deliveries_total{outcome}`, `hooks_attempts_total{status_class}`,
`hooks_attempt_duration_seconds` (histogram) and `hooks_webhook_breaker_state` (0 closed, 1 half-open, 2 open;
the top webhooks only). Globally: the work in flight and the backlogs (see `GAUGES`). The counters are those
the archiver keeps as it writes the history (hooks/metrics/), so they agree with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from config import get_settings
from hooks.api.auth import READ
from hooks.api.dlq_size import dlq_size
from hooks.metrics.counters import SUM_FIELD
from hooks.metrics.keys import BUCKETS_S, CLASSES, OUTCOMES
from hooks.metrics.read import Counts, Snapshot, snapshot
from hooks.store.connection import get_redis

router = APIRouter(tags=["metrics"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OTHER = "other"
BREAKER = {"closed": 0, "half-open": 1, "open": 2}
GAUGES = {  # snapshot gauge -> (metric, help)
    "fanout_events": ("hooks_fanout_backlog_events", "Events waiting to be fanned out."),
    "ready_deliveries": ("hooks_ready_deliveries", "Deliveries ready to send (waiting for a drain)."),
    "retry_deliveries": ("hooks_retry_deliveries", "Deliveries waiting for their next attempt."),
    "parked_deliveries": ("hooks_parked_deliveries", "Deliveries parked behind an open breaker."),
    "leased_deliveries": ("hooks_leased_deliveries", "Deliveries a drain is sending (leased)."),
    "drains": ("hooks_drains", "Drain tasks queued or running."),
    "drains_idle": ("hooks_drains_idle", "Drain tasks waiting for work."),
    "events_in_flight": ("hooks_events_in_flight", "Events not finished yet."),
    "deliveries_in_flight": ("hooks_deliveries_in_flight", "Deliveries not archived yet."),
    "webhooks": ("hooks_webhooks", "Registered webhooks."),
    "open_breakers": ("hooks_open_breakers", "Webhooks whose breaker waits out a cool-down."),
    "archiver_backlog_entries": ("hooks_archiver_backlog_entries", "Stream entries waiting for the archiver."),
    "archiver_lag_seconds": ("hooks_archiver_lag_seconds", "Age of the oldest entry waiting for the archiver."),
    "counted_webhooks": ("hooks_metrics_webhooks_counted", "Webhooks with counters (labelled: the top ones)."),
}


class SnapshotCollector:
    """Turns one snapshot into metric families (prometheus_client's custom collector protocol)."""

    def __init__(self, snap: Snapshot, dlq: int | None) -> None:
        self.snap, self.dlq = snap, dlq

    def collect(self) -> Iterator[Metric]:
        """Every family of the exposition."""
        series = [*self.snap.webhooks.items(), (OTHER, self.snap.other)]
        deliveries = CounterMetricFamily("hooks_deliveries", "Finished deliveries by outcome.",
                                         labels=["webhook", "outcome"])  # fmt: skip
        attempts = CounterMetricFamily("hooks_attempts", "HTTP attempts by status class.",
                                       labels=["webhook", "status_class"])  # fmt: skip
        durations = HistogramMetricFamily("hooks_attempt_duration_seconds", "How long attempts took.",
                                          labels=["webhook"])  # fmt: skip
        for webhook, counts in series:
            for outcome in OUTCOMES:
                deliveries.add_metric([webhook, outcome], counts.get(f"d:{outcome}", 0.0))
            for status in CLASSES:
                attempts.add_metric([webhook, status], counts.get(f"a:{status}", 0.0))
            durations.add_metric([webhook], _buckets(counts), counts.get(SUM_FIELD, 0.0) / 1000)
        yield from (deliveries, attempts, durations)
        breaker = GaugeMetricFamily("hooks_webhook_breaker_state", "Breaker: 0 closed, 1 half-open, 2 open.",
                                    labels=["webhook"])  # fmt: skip
        for webhook, name in self.snap.breakers.items():
            breaker.add_metric([webhook], BREAKER[name])
        yield breaker
        for key, (name, text) in GAUGES.items():
            yield GaugeMetricFamily(name, text, value=self.snap.gauges.get(key, 0.0))
        if self.dlq is not None:
            yield GaugeMetricFamily("hooks_dlq_deliveries", "Deliveries in the dead-letter queue.", value=self.dlq)


def _buckets(counts: Counts) -> list[tuple[str, float]]:
    """Cumulative (le, count) pairs from the stored bucket counts, +Inf last."""
    out, seen = [], 0.0
    for i, bound in enumerate([*map(repr, BUCKETS_S), "+Inf"]):
        seen += counts.get(f"l:{i}", 0.0)
        out.append((bound, seen))
    return out


def exposition() -> bytes:
    """The text a scrape gets."""
    settings = get_settings()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot(get_redis(settings), settings), dlq_size(settings)))  # type: ignore[arg-type]
    return generate_latest(registry)


@router.get("/metrics", dependencies=READ, summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE: {}}}})  # fmt: skip
def metrics() -> Any:
    return Response(exposition(), media_type=CONTENT_TYPE)
