"""Per-webhook figures for operators: deliveries and success rate over 1 h and 24 h, latency p50/p99, the
breaker, the backlog and the last error; and the overview of the whole system (`/v1/stats`, the dashboard), or
of one stack for a key bound to it.

The windows come from the counters the archiver keeps (hooks/metrics/), so they count what reached the
history; the breaker and backlog are read from Redis as they are now.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from hooks.api.v1.common import iso
from hooks.metrics.keys import ALL, MetricKeys
from hooks.metrics.read import added_windows, breaker_name, snapshot, windows
from hooks.settings import Settings
from hooks.store.connection import decoded
from hooks.store.keys import Keys


def webhook_stats(client: redis.Redis, settings: Settings, webhook_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each webhook's figures, in a few pipelined round trips for the whole list."""
    now = time.time()
    keys, mk = Keys(settings), MetricKeys(settings)
    spans = windows(client, settings, webhook_ids, now_s=now)
    with client.pipeline(transaction=False) as pipe:
        for wh in webhook_ids:
            pipe.hmget(keys.webhook_state(wh), "open_until", "probe_until", "failures")
            pipe.zcard(keys.deliveries_by_webhook(wh))
            pipe.llen(keys.ready_list(wh))
            pipe.zcard(keys.waiting(wh))
            pipe.zcount(keys.inflight(wh), now, "+inf")
            pipe.hmget(mk.webhook(wh), "last_error", "last_error_at")
        replies = pipe.execute()
    out = {}
    for i, wh in enumerate(webhook_ids):
        st, in_flight, ready, parked, lanes, (error, error_at) = replies[6 * i : 6 * i + 6]
        out[wh] = {
            "webhook_id": wh,
            "windows": {name: w.to_dict() for name, w in spans[wh].items()},
            "breaker": {"state": breaker_name(st, now), "consecutive_failures": int(st[2] or 0)},
            "backlog": {"in_flight": in_flight, "ready": ready, "parked": parked, "sending": lanes},
            "last_error": error.decode() if error else None,
            "last_error_at": iso(float(error_at)) if error_at else None,
        }
    return out


def stack_overview(client: redis.Redis, settings: Settings, stack: str, dlq_size: int | None) -> dict[str, Any]:
    """One stack now (what a key bound to it sees at /v1/stats): its webhooks' backlogs and their counters over
    1 h and 24 h added up, its dead letters; nothing of the other stacks, not even the system-wide gauges."""
    ids = sorted(decoded(client.hkeys(Keys(settings).route(stack))))
    per = webhook_stats(client, settings, ids)
    backlog = {name: sum(p["backlog"][part] for p in per.values()) for name, part in _BACKLOG.items()}
    busiest = sorted(ids, key=lambda wh: -per[wh]["windows"]["24h"]["deliveries"])[:10]
    return {
        "stack": stack,
        "in_flight": {"webhooks": len(ids), **backlog},
        "dlq_size": dlq_size,
        "windows": {name: w.to_dict() for name, w in added_windows(client, settings, ids).items()},
        "busiest_webhooks": busiest,
    }


_BACKLOG = {"deliveries_in_flight": "in_flight", "ready_deliveries": "ready", "parked_deliveries": "parked",
            "sending_deliveries": "sending"}  # fmt: skip


def overview(client: redis.Redis, settings: Settings, dlq_size: int | None) -> dict[str, Any]:
    """The whole system now: work in flight and backlogs, and every webhook added up over 1 h and 24 h."""
    snap = snapshot(client, settings)
    totals = windows(client, settings, [ALL])[ALL]
    busiest = list(snap.webhooks)[:10]  # the top webhooks come most active first
    return {
        "in_flight": {k: int(v) for k, v in snap.gauges.items() if k != "archiver_lag_seconds"},
        "archiver_lag_s": round(snap.gauges["archiver_lag_seconds"], 3),
        "dlq_size": dlq_size,
        "windows": {name: w.to_dict() for name, w in totals.items()},
        "busiest_webhooks": busiest,
    }
