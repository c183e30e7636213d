"""`/metrics`: the Prometheus exposition (needs a global API key; a read-only one will do).

A key bound to a stack gets a 403: the metrics cover every stack's webhooks and the system-wide backlogs.

Per webhook (label `webhook`, its id; the HOOKS_METRICS_TOP_WEBHOOKS most active, the rest added up as
`other`): `hooks_deliveries_total{outcome}`, `hooks_attempts_total{status_class}`,
`hooks_attempt_duration_seconds` (histogram) and `hooks_webhook_breaker_state` (0 closed, 1 half-open, 2 open;
the top webhooks only). Globally: the work in flight and the backlogs (see `GAUGES`). The counters are those
the archiver keeps as it writes the history (hooks/metrics/), so they agree with it. The per-webhook families
are written by hooks/api/exposition.py (fast), the gauges by prometheus_client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from hooks.api.dlq_size import dlq_size
from hooks.api.exposition import per_webhook
from hooks.api.scope import GLOBAL_ONLY
from hooks.metrics.read import Snapshot, snapshot
from hooks.settings import get_settings
from hooks.store.connection import get_redis

router = APIRouter(tags=["metrics"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
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


class GaugeCollector:
    """The global gauges of one snapshot (prometheus_client's custom collector protocol)."""

    def __init__(self, snap: Snapshot, dlq: int | None) -> None:
        self.snap, self.dlq = snap, dlq

    def collect(self) -> Iterator[Metric]:
        """One gauge family per figure."""
        for key, (name, text) in GAUGES.items():
            yield GaugeMetricFamily(name, text, value=self.snap.gauges.get(key, 0.0))
        if self.dlq is not None:
            yield GaugeMetricFamily("hooks_dlq_deliveries", "Deliveries in the dead-letter queue.", value=self.dlq)


def exposition() -> bytes:
    """The text a scrape gets."""
    settings = get_settings()
    registry = CollectorRegistry(auto_describe=False)
    snap = snapshot(get_redis(settings), settings)
    registry.register(GaugeCollector(snap, dlq_size(settings)))  # type: ignore[arg-type]
    return per_webhook(snap).encode() + generate_latest(registry)


@router.get("/metrics", dependencies=GLOBAL_ONLY, summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE: {}}}})  # fmt: skip
def metrics() -> Any:
    return Response(exposition(), media_type=CONTENT_TYPE)
