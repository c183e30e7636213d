"""Load helpers shared by the scenarios: event bodies, fast webhook registration, publishing, waiting, figures."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis

from bench import baseline
from bench.receiver import ReceiverClient
from hooks import publish_event, publish_events
from hooks.models.ids import new_webhook_id
from hooks.models.webhook import Webhook, utcnow
from hooks.registry.index import write
from hooks.settings import get_settings
from hooks.store.keys import DELIVERIES_QUEUE, EVENTS_QUEUE, Keys

PUBLISH_BATCH = 500


def event_data(seq: int, size_b: int) -> dict[str, Any]:
    """Event data the receiver can read: sequence number and publish time first, then padding to ~size_b."""
    return {"bn": seq, "bt": time.time(), "pad": "x" * max(0, size_b - 160)}


def baseline_body(event_type: str, seq: int, size_b: int) -> str:
    """The JSON a baseline user would POST: the same shape as our event body."""
    data = event_data(seq, size_b)
    return json.dumps({"type": event_type, "data": data}, separators=(",", ":"))


def write_webhooks(client: redis.Redis, specs: Sequence[tuple[str, str, list[str]]], chunk: int = 1000,
                   **fields: Any) -> list[str]:  # fmt: skip
    """Register webhooks (url, stack, patterns, and `fields` for all) with the registry's own index layout,
    pipelined; returns ids.

    `create_webhook` validates and checks the destination one webhook per round trip; for 100,000 webhooks we
    validate one template per (url, stack, patterns) and copy it with a fresh id.
    """
    keys = Keys(get_settings())
    templates: dict[tuple[str, str, tuple[str, ...]], Webhook] = {}
    ids: list[str] = []
    for start in range(0, len(specs), chunk):
        with client.pipeline(transaction=False) as pipe:
            for url, stack, patterns in specs[start : start + chunk]:
                key = (url, stack, tuple(patterns))
                if key not in templates:
                    templates[key] = Webhook.model_validate({"url": url, "stack": stack, "events": patterns, **fields})
                wh = templates[key].model_copy(update={"id": new_webhook_id(), "created_at": utcnow()})
                write(pipe, keys, wh, old=None)
                ids.append(wh.id)
            pipe.execute()
    return ids


def publish_ours(event_type: str, stack: str, n: int, size_b: int, first_seq: int = 0) -> None:
    """Publish n events in batches, as a producer with many events would."""
    for start in range(0, n, PUBLISH_BATCH):
        batch = range(start, min(n, start + PUBLISH_BATCH))
        publish_events([{"event_type": event_type, "stack": stack, "data": event_data(first_seq + i, size_b)}
                        for i in batch])  # fmt: skip


def publish_baseline(urls: Sequence[str], n: int, size_b: int, first_seq: int = 0) -> None:
    """The baseline producer: one Celery message per (event, webhook)."""
    for i in range(n):
        body = baseline_body("bench.ev", first_seq + i, size_b)
        for url in urls:
            baseline.publish(url, body)


def paced(n: int, rate_per_s: float, publish_one: Callable[[int], None], max_s: float) -> int:
    """Call publish_one(i) for i < n at `rate_per_s`; stops at `max_s`; returns how many were published."""
    start = time.monotonic()
    interval = 1.0 / rate_per_s
    for i in range(n):
        due = start + i * interval
        now = time.monotonic()
        if now - start > max_s:
            return i
        if due > now:
            time.sleep(due - now)
        publish_one(i)
    return n


def publish_one_ours(event_type: str, stack: str, size_b: int) -> Callable[[int], None]:
    def one(i: int) -> None:
        publish_event(event_type, event_data(i, size_b), stack=stack)

    return one


def publish_one_baseline(urls: Sequence[str], size_b: int) -> Callable[[int], None]:
    def one(i: int) -> None:
        body = baseline_body("bench.ev", i, size_b)
        for url in urls:
            baseline.publish(url, body)

    return one


def wait_unique(rcv: ReceiverClient, expected: int, timeout_s: float, poll_s: float = 0.02) -> bool:
    """Poll the receiver until `expected` distinct deliveries arrived or the timeout; True when all did."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if rcv.unique() >= expected:
            return True
        time.sleep(poll_s)
    return rcv.unique() >= expected


def rate_figures(
    rows: list[tuple[float, float, str]], expected: int, t0: float, cutoff_s: float | None = None
) -> dict[str, Any]:
    """Deliveries/s from the first publish (t0, Unix s) to the last receipt (to the cut-off when some never came)."""
    if not rows:
        return {"deliveries_per_s": 0.0, "delivered": 0, "expected": expected, "complete": False}
    last = max(r[0] for r in rows)
    if len(rows) < expected and cutoff_s is not None:
        last = max(last, t0 + cutoff_s)
    return {
        "deliveries_per_s": round(len(rows) / max(1e-6, last - t0), 1),
        "delivered": len(rows),
        "expected": expected,
        "complete": len(rows) >= expected,
        "elapsed_s": round(last - t0, 3),
    }


def latency_figures(rows: list[tuple[float, float, str]], expected: int, cutoff_s: float) -> dict[str, Any]:
    """p50/p99 of publish-to-receipt in ms; a delivery that never arrived counts as the cut-off (a floor)."""
    lat = [(a - b) * 1000 for a, b, _ in rows]
    missing = max(0, expected - len(lat))
    lat = sorted(lat + [cutoff_s * 1000] * missing)
    return {
        "p50_ms": round(percentile(lat, 50), 2) if lat else None,
        "p99_ms": round(percentile(lat, 99), 2) if lat else None,
        "max_ms": round(lat[-1], 2) if lat else None,
        "arrived": len(rows),
        "expected": expected,
        "missing": missing,
    }


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100 * len(sorted_values) + 0.5)) - 1))
    return float(sorted_values[k])


def clean(client: redis.Redis, *, unacked: bool = False) -> None:
    """Delete the product's keys and every queue, keeping kombu's bindings (the workers' routing).

    `unacked`: also kombu's unacked-message store (only when no worker runs: it holds their in-flight tasks).
    """
    keys = [*client.scan_iter(match="bench:*", count=5000)]
    if unacked:
        keys += [b"unacked", b"unacked_index", b"unacked_mutex"]
    with client.pipeline(transaction=False) as pipe:
        for start in range(0, len(keys), 5000):
            pipe.unlink(*keys[start : start + 5000])
        pipe.delete(EVENTS_QUEUE, DELIVERIES_QUEUE, baseline.QUEUE)
        pipe.execute()
