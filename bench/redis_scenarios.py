"""Scenarios measured mostly in this process against our Redis: retry backlog, matching, publishing."""

from __future__ import annotations

import random
import time
from typing import Any

from bench import baseline, load
from bench.procs import Stack, WorkerSet, rss_bytes
from bench.scenarios import EVENT, STACK
from bench.sizes import Sizes
from hooks import publish_event, publish_events
from hooks.models.ids import delivery_id, new_event_id, new_webhook_id
from hooks.registry.resolve import resolve, resolve_ids, resolve_ids_many
from hooks.settings import get_settings
from hooks.store.keys import Keys
from workers.scheduler.schedule import move_due

MB = 1024 * 1024


def _used_memory(stack: Stack) -> int:
    return int(stack.client.info("memory")["used_memory"])


def retry_backlog(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """Scenario 5: N deliveries waiting to retry: Redis bytes each, worker RSS growth, scheduler move rate."""
    n = sz.backlog_n
    out: dict[str, Any] = {"waiting": n, "ours": _ours_backlog(stack, n)}
    out["baseline"] = _baseline_backlog(stack, sz.baseline_backlog_n)
    return out


def _ours_backlog(stack: Stack, n: int) -> dict[str, Any]:
    client, settings = stack.client, get_settings()
    keys = Keys(settings)
    (worker,) = stack.workers(WorkerSet("ours", 1, False))
    assert stack.sched is not None
    time.sleep(1.0)
    rss0, sched0, mem0 = rss_bytes(worker.pid), rss_bytes(stack.sched.pid), _used_memory(stack)
    due = time.time() + 86400
    events = [new_event_id() for _ in range(1000)]
    hooks_ = [new_webhook_id() for _ in range(max(1, -(-n // 1000)))]
    t0 = time.perf_counter()
    for w, wh in enumerate(hooks_):  # the same member shape as real retries: msg_<event>_<webhook>
        batch = {delivery_id(ev, wh): due + w for ev in events[: min(1000, n - w * 1000)]}
        client.zadd(keys.retry, batch)
    fill_s = time.perf_counter() - t0
    mem1 = _used_memory(stack)
    time.sleep(2.0)  # several scheduler polls over the full schedule
    rss1, sched1 = rss_bytes(worker.pid), rss_bytes(stack.sched.pid)
    stack.stop_workers()  # nothing may consume the million messages we are about to move
    moved, move_s = _drain(stack, due + len(hooks_) + 1)
    load.clean(client)
    return {
        "redis_bytes_per_retry": round((mem1 - mem0) / n, 1),
        "fill_s": round(fill_s, 2),
        "worker_rss_growth_mb": round((rss1 - rss0) / MB, 2),
        "scheduler_rss_growth_mb": round((sched1 - sched0) / MB, 2),
        "moved": moved,
        "move_per_s": round(moved / move_s) if move_s else None,
        "batch": get_settings().scheduler_batch,
    }


def _drain(stack: Stack, now_s: float) -> tuple[int, float]:
    """Call move_due (the scheduler's step) until the schedule is empty; only its time is counted."""
    client, settings = stack.client, get_settings()
    moved, spent = 0, 0.0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        t = time.perf_counter()
        m = move_due(client, settings, now_s=now_s)
        spent += time.perf_counter() - t
        moved += m
        if m == 0:
            break
    return moved, spent


def _baseline_backlog(stack: Stack, n: int) -> dict[str, Any]:
    """The baseline's retries are countdown tasks: the worker takes them all and holds them in memory."""
    (worker,) = stack.workers(WorkerSet("baseline", 1, False))
    time.sleep(1.0)
    rss0, mem0 = rss_bytes(worker.pid), _used_memory(stack)
    body = load.baseline_body(EVENT, 0, 1024)
    url = stack.receiver.url + "/never"
    for _ in range(n):
        baseline.publish(url, body, countdown=3600)
    deadline = time.monotonic() + 60
    while stack.client.llen(baseline.QUEUE) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    rss1, mem1 = rss_bytes(worker.pid), _used_memory(stack)
    left = int(stack.client.llen(baseline.QUEUE))
    stack.stop_workers(kill=True)
    load.clean(stack.client, unacked=True)
    return {
        "waiting": n,
        "held_by_worker": n - left,
        "redis_bytes_per_retry": round((mem1 - mem0) / n, 1),
        "worker_rss_growth_mb": round((rss1 - rss0) / MB, 2),
        "worker_rss_bytes_per_retry": round((rss1 - rss0) / n, 1),
    }


_PATTERNS = ["content_types.entries.publish", "content_types.entries.update", "content_types.entries.delete",
             "content_types.entries.unpublish", "assets.upload", "assets.delete", "content_types.#",
             "content_types.*.publish", "assets.#"]  # fmt: skip


def matching(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """Scenario 6: W webhooks over S stacks (exact and wildcard patterns, uid channels); resolve one event.

    The headline figures (p50_ms, p99_ms) time `resolve_ids`, the one round trip the fan-out makes; resolve_* time
    `resolve` (ids, then the webhooks' JSON parsed into models) and batch_* one `resolve_ids_many` of 50 events.
    """
    client = stack.client
    stack.stop_workers()
    per_stack = max(1, sz.matching_webhooks // sz.matching_stacks)
    url = stack.receiver.url + "/m"
    specs = []
    for s in range(sz.matching_stacks):
        for j in range(per_stack):
            k = j % (len(_PATTERNS) + 1)
            pattern = _PATTERNS[k] if k < len(_PATTERNS) else f"content_types.ct{j % 5}.entries.publish"
            specs.append((url, f"s{s}", [pattern]))
    t0 = time.perf_counter()
    load.write_webhooks(client, specs)  # through hooks.registry._write: the sets and the route hashes
    write_s = time.perf_counter() - t0
    settings = get_settings()
    rng = random.Random(5)
    stacks = [f"s{rng.randrange(sz.matching_stacks)}" for _ in range(sz.matching_lookups)]
    topics = ("content_types.entries.publish", "content_types.ct3.entries.publish")
    lat, ids = _timed(stacks, lambda name: resolve_ids(client, settings, name, "main", topics))
    objects_lat, webhooks = _timed(stacks, lambda name: resolve(name, "main", topics, client=client))
    if [w.id for w in webhooks] != ids:
        raise RuntimeError(f"resolve found {len(webhooks)} webhooks where resolve_ids found {len(ids)}.")
    batches = [stacks[i : i + 50] for i in range(0, len(stacks) - 49, 50)]
    batch_lat, _ = _timed(
        batches, lambda names: resolve_ids_many(client, settings, [(n, "main", topics) for n in names])
    )
    load.clean(client)
    return {"webhooks": len(specs), "stacks": sz.matching_stacks, "matched_per_event": len(ids),
            "write_s": round(write_s, 2), "p50_ms": round(load.percentile(lat, 50), 3),
            "p99_ms": round(load.percentile(lat, 99), 3),
            "resolve_p50_ms": round(load.percentile(objects_lat, 50), 3),
            "resolve_p99_ms": round(load.percentile(objects_lat, 99), 3),
            "batch_events": 50, "batch_p50_ms": round(load.percentile(batch_lat, 50), 3),
            "batch_p99_ms": round(load.percentile(batch_lat, 99), 3)}  # fmt: skip


def _timed(inputs: list[Any], call: Any) -> tuple[list[float], Any]:
    """Call `call` on each input; returns the sorted latencies in ms and the last result."""
    lat, result = [], None
    for item in inputs:
        t = time.perf_counter()
        result = call(item)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    return lat, result


def publishing(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """Scenario 7: publish_event latency and rate from one thread, publish_events in batches; baseline apply_async."""
    stack.stop_workers()
    load.write_webhooks(stack.client, [(stack.receiver.url + "/p", STACK, [EVENT])])
    out: dict[str, Any] = {"events": sz.publish_n, "ours": _singles(lambda i: publish_event(
        EVENT, load.event_data(i, sz.payload_b), stack=STACK), sz.publish_n)}  # fmt: skip
    batches = [[{"event_type": EVENT, "stack": STACK, "data": load.event_data(i, sz.payload_b)}
                for i in range(sz.publish_batch_size)]
               for _ in range(max(1, sz.publish_batch_total // sz.publish_batch_size))]  # fmt: skip
    t0 = time.perf_counter()
    for batch in batches:
        publish_events(batch)
    spent = time.perf_counter() - t0
    out["ours"]["batch_size"] = sz.publish_batch_size
    out["ours"]["batch_events_per_s"] = round(len(batches) * sz.publish_batch_size / spent)
    url = stack.receiver.url + "/p"
    out["baseline"] = _singles(
        lambda i: baseline.publish(url, load.baseline_body(EVENT, i, sz.payload_b)), sz.publish_n
    )
    # the floor under any one-round-trip call from one thread on this machine, measured now (it drifts by 2x)
    out["redis_ping"] = _singles(lambda i: stack.client.ping(), sz.publish_n)
    load.clean(stack.client)
    return out


def _singles(publish_one: Any, n: int) -> dict[str, Any]:
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        publish_one(i)
        lat.append((time.perf_counter() - t) * 1000)
    spent = time.perf_counter() - t0
    lat.sort()
    return {"p50_ms": round(load.percentile(lat, 50), 3), "p99_ms": round(load.percentile(lat, 99), 3),
            "events_per_s": round(n / spent)}  # fmt: skip
