"""Scenarios that need workers: throughput, latency, fan-out, isolation, scaling (ours beside the baseline).

Each returns plain figures (dicts of numbers) and leaves Redis clean for the next one.
"""

from __future__ import annotations

import time
from typing import Any

from bench import commandstats, load
from bench.procs import Stack, WorkerSet
from bench.sizes import Sizes
from hooks import publish_event
from hooks.settings import get_settings
from hooks.store.keys import Keys

EVENT = "bench.ev"
STACK = "bench"
# One webhook takes every delivery here: lift the per-webhook in-flight cap (default 10) above the concurrency.


def _wait_s(n: int) -> float:
    """How long to wait for n deliveries: generous (50/s) but bounded."""
    return min(300.0, 20.0 + n / 50)


def batch_run(stack: Stack, kind: str, n: int, size_b: int, *, redis_calls: bool = False) -> dict[str, Any]:
    """Publish n events to one webhook as fast as the producer can; deliveries/s from first publish to last receipt.

    `redis_calls`: also Redis's calls and usec per delivery by command (`bench.commandstats`).
    """
    client, rcv = stack.client, stack.receiver
    url = rcv.url + "/t"
    if kind == "ours":
        load.write_webhooks(client, [(url, STACK, [EVENT])])
    rcv.take()
    calls0 = commandstats.snapshot(client) if redis_calls else {}
    cpu0 = stack.cpu()
    t0 = time.time()
    if kind == "ours":
        load.publish_ours(EVENT, STACK, n, size_b)
    else:
        load.publish_baseline([url], n, size_b)
    publish_s = time.time() - t0
    load.wait_unique(rcv, n, _wait_s(n))
    cpu = {k: round((v - cpu0[k]) * 1000 / n, 3) for k, v in stack.cpu().items()}
    calls: dict[str, Any] = {}
    if redis_calls:
        calls["redis_calls_per_delivery"] = commandstats.per_delivery(calls0, commandstats.snapshot(client), n)
    rows, requests = rcv.take()
    load.clean(client)
    return {**load.rate_figures(rows, n, t0), "publish_s": round(publish_s, 3), "duplicates": requests - len(rows),
            "cpu_ms_per_delivery": cpu, **calls}  # fmt: skip


def throughput(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """Scenario 1: N events, one webhook each, with Flower's task events off and on."""
    out: dict[str, Any] = {"events": sz.throughput_n, "payload_b": sz.payload_b}
    # this order starts each worker set once, and leaves running the one the latency scenario starts with
    for kind, events in (("ours", False), ("ours", True), ("baseline", True), ("baseline", False)):
        stack.workers(WorkerSet(kind, 1, events, ()))
        n = sz.throughput_n if kind == "ours" else sz.baseline_throughput_n
        out[f"{kind}_events_{'on' if events else 'off'}"] = batch_run(
            stack, kind, n, sz.payload_b, redis_calls=kind == "ours" and not events
        )
    # the baseline as a user who changes nothing runs it: Celery's default pool, one process per core
    stack.workers(WorkerSet("baseline", 1, False, (), pool="prefork"))
    out["baseline_prefork"] = batch_run(stack, "baseline", sz.baseline_prefork_n, sz.payload_b)
    return out


def ordered(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """An ordered webhook (one request at a time, in publish order): deliveries/s and whether they came in order."""
    client, rcv = stack.client, stack.receiver
    load.write_webhooks(client, [(rcv.url + "/o", STACK, [EVENT])], ordered=True)
    stack.workers(WorkerSet("ours", 1, False))
    rcv.take()
    t0 = time.time()
    load.publish_ours(EVENT, STACK, sz.ordered_n, sz.payload_b)
    load.wait_unique(rcv, sz.ordered_n, _wait_s(sz.ordered_n))
    rows, requests = rcv.take()
    load.clean(client)
    seqs = [int(key.rpartition("#")[2]) for _, _, key in rows]  # in the order each was first received
    return {**load.rate_figures(rows, sz.ordered_n, t0), "in_order": seqs == sorted(seqs),
            "duplicates": requests - len(rows)}  # fmt: skip


def paced_run(stack: Stack, kind: str, rate: float, seconds: float, urls: list[str], size_b: int,
              drain_s: float, warmup_s: float = 0.0) -> dict[str, Any]:  # fmt: skip
    """Publish at `rate`/s for `seconds` to the webhooks at `urls`; latency and rate at the fast receiver.

    With `warmup_s`, the same load runs that long first, from freshly started workers; its latency is reported
    apart (`cold`), and the measured window is the steady state after it.
    """
    client, rcv = stack.client, stack.receiver
    n = max(1, int(rate * seconds))
    if kind == "ours":
        load.write_webhooks(client, [(u, STACK, [EVENT]) for u in urls])
        one = load.publish_one_ours(EVENT, STACK, size_b)
    else:
        one = load.publish_one_baseline(urls, size_b)
    rcv.take()
    cold: dict[str, Any] = {}
    if warmup_s > 0:
        t_w = time.time()
        warm = load.paced(max(1, int(rate * warmup_s)), rate, one, max_s=warmup_s * 1.5)
        load.wait_unique(rcv, warm, drain_s)
        rows, _ = rcv.take()
        cold = {"cold": load.latency_figures(rows, warm, time.time() - t_w)}
    t0 = time.time()
    sent = load.paced(n, rate, one, max_s=seconds * 1.5)
    load.wait_unique(rcv, sent, drain_s)
    cutoff = time.time() - t0
    rows, _ = rcv.take()
    load.clean(client)
    return {"rate_per_s": round(rate, 1), "published": sent, **load.latency_figures(rows, sent, cutoff),
            "deliveries_per_s": load.rate_figures(rows, sent, t0, cutoff)["deliveries_per_s"], **cold}  # fmt: skip


def latency(stack: Stack, sz: Sizes, max_rates: dict[str, float]) -> dict[str, Any]:
    """Scenario 2: publish-to-receipt at half of each system's max rate (from scenario 1), paced.

    Steady state: the figures are taken after a warm-up at the same rate (freshly started workers, a new
    webhook); the warm-up's own latency is reported as `cold`.
    """
    out: dict[str, Any] = {}
    for kind in ("baseline", "ours"):
        rate = max(5.0, max_rates.get(kind, 0.0) / 2)
        stack.workers(WorkerSet(kind, 1, False, ()))
        url = stack.receiver.url + "/l"
        out[kind] = paced_run(stack, kind, rate, sz.latency_s, [url], sz.payload_b, drain_s=10.0,
                              warmup_s=sz.latency_warmup_s)  # fmt: skip
    return out


def fanout(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """Scenario 3: one event to N webhooks: time until every delivery is enqueued, and until all arrived."""
    n, client, rcv = sz.fanout_n, stack.client, stack.receiver
    keys = Keys(get_settings())
    urls = [f"{rcv.url}/f{i}" for i in range(n)]
    out: dict[str, Any] = {"webhooks": n}
    load.write_webhooks(client, [(u, "fan", ["fan.out"]) for u in urls])
    stack.workers(WorkerSet("ours", 1, False))
    rcv.take()
    t0 = time.time()
    event_id = publish_event("fan.out", load.event_data(0, sz.payload_b), stack="fan")
    enqueued = _poll(lambda: client.zcard(keys.deliveries_by_event(event_id)) >= n, 30.0)
    t_enq = time.time() - t0
    load.wait_unique(rcv, n, _wait_s(n))
    rows, _ = rcv.take()
    out["ours"] = {"enqueue_s": round(t_enq, 3) if enqueued else None, **_arrival(rows, n, t0)}
    load.clean(client)

    stack.workers(WorkerSet("baseline", 1, False))
    rcv.take()
    t0 = time.time()
    load.publish_baseline(urls, 1, sz.payload_b)  # the user's producer loops over the subscribers
    t_enq = time.time() - t0
    load.wait_unique(rcv, n, _wait_s(n))
    rows, _ = rcv.take()
    out["baseline"] = {"enqueue_s": round(t_enq, 3), **_arrival(rows, n, t0)}
    load.clean(client)
    return out


def _arrival(rows: list[tuple[float, float, str]], n: int, t0: float) -> dict[str, Any]:
    last = max((r[0] for r in rows), default=t0)
    return {"all_arrived_s": round(last - t0, 3) if len(rows) >= n else None, "arrived": len(rows),
            "deliveries_per_s": round(len(rows) / max(1e-6, last - t0), 1)}  # fmt: skip


def _poll(cond: Any, timeout_s: float, interval_s: float = 0.002) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(interval_s)
    return bool(cond())


def isolation(stack: Stack, sz: Sizes, max_rates: dict[str, float]) -> dict[str, Any]:
    """Scenario 4: every event to a healthy and to a dead endpoint vs healthy alone, at a quarter of max rate.

    Our workers run with the product's defaults (in-flight cap 10 per webhook, 15 s deadline, breaker).
    """
    out: dict[str, Any] = {"seconds": sz.isolation_s}
    for kind in ("baseline", "ours"):
        rate = max(5.0, max_rates.get(kind, 0.0) / 4)
        out[kind] = isolation_for(stack, kind, rate, sz.isolation_s, sz.isolation_drain_s, sz.payload_b)
    return out


def isolation_for(stack: Stack, kind: str, rate: float, seconds: float, drain_s: float, size_b: int = 1024,
                  env: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:  # fmt: skip
    """Healthy alone, then healthy + dead, at the same paced rate; the workers are killed after (stuck threads)."""
    healthy = stack.receiver.url + "/h"
    stack.workers(WorkerSet(kind, 1, False, env))
    alone = paced_run(stack, kind, rate, seconds, [healthy], size_b, drain_s=drain_s)
    with_dead = paced_run(stack, kind, rate, seconds, [healthy, stack.dead_url + "/d"], size_b, drain_s=drain_s)
    stack.stop_workers(kill=True)  # threads stuck on the dead endpoint: their state no longer matters
    load.clean(stack.client, unacked=True)
    return {"alone": alone, "with_dead": with_dead, **_ratios(alone, with_dead)}


def _ratios(alone: dict[str, Any], with_dead: dict[str, Any]) -> dict[str, Any]:
    a_rate, d_rate = alone.get("deliveries_per_s") or 0, with_dead.get("deliveries_per_s") or 0
    a_p99, d_p99 = alone.get("p99_ms"), with_dead.get("p99_ms")
    return {
        "throughput_pct": round(100 * d_rate / a_rate, 1) if a_rate else None,
        "p99_ratio": round(d_p99 / a_p99, 2) if a_p99 and d_p99 is not None else None,
    }


def scaling(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """Scenario 8: deliveries/s with 1 and 2 worker processes, 1 KB and 64 KB payloads."""
    out: dict[str, Any] = {"events": sz.scaling_n, "baseline_events": sz.baseline_scaling_n}
    for kind in ("baseline", "ours"):
        for procs in (1, 2):
            stack.workers(WorkerSet(kind, procs, False, ()))
            for size_b in (1024, 64 * 1024):
                n = sz.scaling_n if kind == "ours" else sz.baseline_scaling_n
                out.setdefault(kind, {})[f"{procs}proc_{size_b // 1024}kb"] = batch_run(stack, kind, n, size_b)
    return out
