"""Scenario 9, the history (issue 11): what finished deliveries cost Redis once archived, the archiver's lag at our
full delivery rate, its write rate into PostgreSQL, and PostgreSQL's bytes per delivery.

- memory: Redis `used_memory` idle, then N events (1 KB) to one webhook at full speed with the archiver on; once
  every delivery arrived, the stream is empty and HOOKS_FINISHED_TTL_S has passed, `used_memory` again: the
  difference over N is what a finished delivery leaves in Redis. The stream's oldest entry is sampled every
  0.25 s meanwhile: the archiver's lag.
- archiver rate: M deliveries made with no archiver running (their records wait in the stream), then one
  archiver started and timed until the stream is empty: records (a delivery with its attempt) per second.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import text

from bench import load
from bench.procs import Stack, WorkerSet
from bench.scenarios import EVENT, STACK
from bench.sizes import Sizes
from hooks.history.connection import get_engine
from hooks.local.processes import stop_process
from hooks.settings import get_settings
from hooks.store.keys import Keys
from hooks.store.stream import backlog


def history(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """Scenario 9 (ours only: the baseline keeps no history)."""
    settings = get_settings()
    stack.workers(WorkerSet("ours", 1, False))
    load.clean(stack.client)
    _truncate()
    url = stack.receiver.url + "/hist"
    load.write_webhooks(stack.client, [(url, STACK, [EVENT])])
    memory = _memory(stack, sz.history_n, settings.finished_ttl_s)
    rate = _archiver_rate(stack, sz.archive_n)
    load.clean(stack.client)
    return {"finished": sz.history_n, **memory, **rate, "pg_bytes_per_delivery": _pg_bytes_per_delivery()}


def _memory(stack: Stack, n: int, finished_ttl_s: float) -> dict[str, Any]:
    client, keys = stack.client, Keys(get_settings())
    time.sleep(1.0)
    idle = int(client.info("memory")["used_memory"])
    lags: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_lag, args=(client, keys, lags, stop), daemon=True)
    stack.receiver.take()
    cpu0, t0 = stack.cpu(), time.time()
    sampler.start()
    load.publish_ours(EVENT, STACK, n, 1024)
    load.wait_unique(stack.receiver, n, min(1800.0, 60 + n / 50))
    rows, _ = stack.receiver.take()
    delivered_at = time.time()
    _wait(lambda: client.xlen(keys.history) == 0, 300)
    archived_at = time.time()
    stop.set()
    cpu = {k: round((v - cpu0[k]) * 1000 / n, 3) for k, v in stack.cpu().items()}
    time.sleep(finished_ttl_s + 2)
    after = int(client.info("memory")["used_memory"])
    return {"delivered": len(rows), "deliveries_per_s": round(len(rows) / max(1e-6, delivered_at - t0), 1),
            "archived_s_after_last_delivery": round(archived_at - delivered_at, 2),
            "lag_max_s": round(max(lags, default=0.0), 2), "lag_p50_s": round(sorted(lags)[len(lags) // 2], 2) if lags else 0,
            "redis_idle_bytes": idle, "redis_after_bytes": after, "redis_growth_bytes": after - idle,
            "redis_bytes_per_finished": round((after - idle) / n, 2), "cpu_ms_per_delivery": cpu}  # fmt: skip


def _sample_lag(client: Any, keys: Keys, lags: list[float], stop: threading.Event) -> None:
    while not stop.wait(0.25):
        age = backlog(client, keys).oldest_age_s
        lags.append(age or 0.0)


def _archiver_rate(stack: Stack, m: int) -> dict[str, Any]:
    """Records/s of one archiver, then of two, catching up with M records that waited in the stream."""
    one = _catch_up(stack, m, 1, first_seq=10_000_000)
    two = _catch_up(stack, m, 2, first_seq=20_000_000)
    return {**one, "two_archivers": two}


def _catch_up(stack: Stack, m: int, archivers: int, first_seq: int) -> dict[str, Any]:
    client, keys = stack.client, Keys(get_settings())
    stack.stop_archiver()
    stack.receiver.take()
    load.publish_ours(EVENT, STACK, m, 1024, first_seq=first_seq)
    load.wait_unique(stack.receiver, m, min(900.0, 60 + m / 50))
    _wait(lambda: client.zcard(keys.deliveries_all) == 0 or _all_finished(client, keys), 120)
    entries = int(client.xlen(keys.history))
    started = [stack.start_archiver() for _ in range(archivers)]  # each returns once it runs (start-up not timed)
    cpu0, t0 = [stack.cpu_of(p) for p in started], time.monotonic()
    pg0, redis0 = stack.cpu()["postgres"], stack.cpu()["redis"]
    _wait(lambda: client.xlen(keys.history) == 0, 600)
    seconds = time.monotonic() - t0
    busy = {
        "archivers": round(sum(stack.cpu_of(p) - c for p, c in zip(started, cpu0, strict=True)) / seconds, 2),
        "postgres": round((stack.cpu()["postgres"] - pg0) / seconds, 2),
        "redis": round((stack.cpu()["redis"] - redis0) / seconds, 2),
    }
    for extra in started[1:]:
        stop_process(extra, timeout_s=10)
    stack.archiver = started[0]
    return {"archive_records": m, "archive_entries": entries, "archive_s": round(seconds, 2),
            "archiver_records_per_s": round(m / seconds, 1), "archive_cores_busy": busy}  # fmt: skip


def _all_finished(client: Any, keys: Keys) -> bool:
    """True when no delivery is left to send (nothing ready, leased or waiting to retry)."""
    return client.zcard(keys.ready) == 0 and client.zcard(keys.leased) == 0 and client.zcard(keys.retry) == 0


def _pg_bytes_per_delivery() -> float | None:
    with get_engine().connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
        size = conn.execute(text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname IN ('events', 'deliveries', 'attempts')"
        )).scalar_one()  # fmt: skip
    return round(int(size) / n, 1) if n else None


def _truncate() -> None:
    with get_engine().begin() as conn:
        conn.execute(text("TRUNCATE events, deliveries, attempts"))


def _wait(condition: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout_s} s")
        time.sleep(0.05)
