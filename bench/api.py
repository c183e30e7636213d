"""The operator API's targets: `python -m bench.api` (about 10 minutes; `--quick` for a smoke run).

1. `/metrics` scrape time with 10,000 webhooks counted (the 1,000 most active labelled, the rest `other`):
   counters written with the archiver's own `count_archived`, breakers open for 1%, then timed over HTTP against
   `python -m hooks.api` (p50, p99).
2. `GET /v1/deliveries?webhook_id=` p99 with 10,000,000 deliveries in the history (bench/history_query.py's
   generator: 30 day partitions, 10,000 webhooks), over HTTP with auth, random webhooks.
3. Scenario 1 (throughput, one webhook, events off) with and without the API running and scraped every second
   (and a delivery listing each second) by a separate process, alternated `--runs` times (which goes first
   alternates too); the archiver counts in both.
Every process is private, on 127.0.0.1, and stopped by pid.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx2 as httpx

from bench.history_query import fill
from bench.procs import Stack, WorkerSet
from hooks.local.processes import stop_process
from hooks.local.servers import free_port


def timed(samples: int, call: Callable[[], object]) -> dict[str, float]:
    """p50, p99 and max in ms of `samples` calls."""
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(p99, 2), "max_ms": round(times[-1], 2)}


def start_api(stack: Stack, name: str = "api") -> tuple[Any, str]:
    """`python -m hooks.api` on a free port with the stack's environment; waits for /healthz."""
    port = free_port()
    proc, _ = stack._spawn([sys.executable, "-m", "hooks.api"], name, {"HOOKS_API_PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the API did not start")


def new_key() -> str:
    """A read-only key in the stack's Redis (this process is configured on it)."""
    from hooks.api.apikeys import create_key

    return create_key("bench", read_only=True)[1]


def fill_counters(stack: Stack, webhooks: int) -> None:
    """Counters of `webhooks` webhooks, as the archiver writes them (a few records each), 1% with open breakers."""
    from hooks.history.records import AttemptRecord, DeliveryRecord
    from hooks.metrics.counters import count_archived
    from hooks.settings import get_settings
    from hooks.store.keys import Keys

    settings, now, rng = get_settings(), time.time(), random.Random(3)
    for start in range(0, webhooks, 500):
        ds, ats = [], []
        for w in range(start, min(webhooks, start + 500)):
            wh = "wh_" + str(w).rjust(26, "0")
            for i in range(1 + w % 7):
                status = rng.choice([200, 200, 200, 204, 500, 503, None])
                ds.append(DeliveryRecord(f"msg_{i}_{w}", f"evt_{i}", wh, "s", "delivered" if status and status < 300
                                         else "failed", now, now, in_dlq=not status or status >= 300))  # fmt: skip
                ats.append(AttemptRecord(f"msg_{i}_{w}", 1, f"evt_{i}", wh, now, rng.expovariate(1 / 40), "x",
                                         status_code=status))  # fmt: skip
        with stack.client.pipeline(transaction=False) as pipe:
            count_archived(pipe, settings, ds, ats)
            for w in range(start, min(webhooks, start + 500), 100):
                pipe.zadd(Keys(settings).breakers, {"wh_" + str(w).rjust(26, "0"): now + 60})
            pipe.execute()


def measure_metrics(stack: Stack, url: str, webhooks: int, samples: int) -> dict[str, Any]:
    """Scenario: /metrics with `webhooks` webhooks counted."""
    fill_counters(stack, webhooks)
    headers = {"Authorization": f"Bearer {new_key()}"}
    with httpx.Client(headers=headers, timeout=30) as client:
        body = client.get(url + "/metrics").text
        figures = timed(samples, lambda: client.get(url + "/metrics").raise_for_status())
    return {"webhooks": webhooks, "bytes": len(body), "lines": body.count("\n"), **figures}


def measure_deliveries(stack: Stack, url: str, deliveries: int, webhooks: int, samples: int) -> dict[str, Any]:
    """Scenario: the delivery listing of one webhook over HTTP, with `deliveries` in the history."""
    from sqlalchemy import text

    from hooks.history.db import make_engine

    engine = make_engine(stack.pg.url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE events, deliveries, attempts"))
    fill_s = fill(engine, 30, deliveries // 30, webhooks)
    engine.dispose()
    rng = random.Random(7)
    headers = {"Authorization": f"Bearer {new_key()}"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def one() -> None:
            wh = "wh_" + str(rng.randrange(webhooks)).rjust(26, "0")
            r = client.get(url + "/v1/deliveries", params={"webhook_id": wh})
            r.raise_for_status()
            assert r.json()["items"], "the generator gave every webhook deliveries"

        figures = timed(samples, one)
    return {"deliveries": deliveries, "fill_s": round(fill_s), **figures}


def scrape(url: str, key: str) -> None:
    """Scrape /metrics and list deliveries once a second until killed, as Prometheus and an open dashboard would
    (run in a process of its own, `--scrape URL`, so it takes nothing from the producer's interpreter)."""
    done = 0
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        while True:
            started = time.monotonic()
            for path in ("/metrics", "/v1/deliveries?limit=50"):
                with contextlib.suppress(httpx.HTTPError):
                    client.get(url + path).raise_for_status()
                    done += 1
            print(f"scraped {done}", flush=True)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


def _wait_for_scrapes(log: Any, n: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = log.read_text().split() if log.exists() else []
        if lines and lines[-1].isdigit() and int(lines[-1]) >= n:
            return
        time.sleep(0.1)
    raise RuntimeError("the scraper did not scrape")


def measure_throughput(stack: Stack, n: int, runs: int) -> dict[str, Any]:
    """Scenario 1 without and with the API scraped every second, alternated; the medians and the change."""
    from bench import scenarios

    stack.workers(WorkerSet("ours", 1, False, ()))  # with the archiver, which counts the metrics
    rates: dict[str, list[float]] = {"without_api": [], "with_api": []}
    scrapes = 0
    scenarios.batch_run(stack, "ours", min(n, 2000), 1024)  # warm-up
    for run in range(runs):
        for with_api in (run % 2 == 1, run % 2 == 0):  # alternate which goes first: no drift favours either
            if not with_api:
                rates["without_api"].append(scenarios.batch_run(stack, "ours", n, 1024)["deliveries_per_s"])
                continue
            proc, url = start_api(stack, "api-scraped")
            scraper, log = stack._spawn([sys.executable, "-m", "bench.api", "--scrape", url, "--key", new_key()],
                                        "scraper")  # fmt: skip
            # as in production, the API and its scraper are already running: their start-up (a second of CPU
            # each on these two cores) is not part of the measured window
            _wait_for_scrapes(log, 2)
            rates["with_api"].append(scenarios.batch_run(stack, "ours", n, 1024)["deliveries_per_s"])
            stop_process(scraper)
            lines = log.read_text().split()
            scrapes += int(lines[-1]) if lines else 0
            stop_process(proc)
    without, with_ = statistics.median(rates["without_api"]), statistics.median(rates["with_api"])
    return {"events": n, "runs": rates, "without_api": without, "with_api": with_, "api_requests": scrapes,
            "change_pct": round(100 * (with_ - without) / without, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Start the private processes, run the three measures, print them, stop everything."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000_000)
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--events", type=int, default=20_000, help="scenario 1's events per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="metrics,deliveries,throughput")
    parser.add_argument("--quick", action="store_true", help="tiny numbers: a smoke run")
    parser.add_argument("--scrape", metavar="URL", help=argparse.SUPPRESS)  # the scraper process
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scrape:
        scrape(args.scrape, args.key)
    if args.quick:
        args.deliveries, args.webhooks, args.samples, args.events, args.runs = 30_000, 200, 20, 300, 1
    only = set(args.only.split(","))
    stack = Stack(concurrency=32).start()
    out: dict[str, Any] = {}
    try:
        from bench.run import configure

        configure(stack)
        os.environ["PYTHONPATH"] = stack.env()["PYTHONPATH"]
        proc, url = start_api(stack)
        if "metrics" in only:
            out["metrics"] = measure_metrics(stack, url, args.webhooks, args.samples)
            print(f"/metrics with {args.webhooks:,} webhooks counted: {out['metrics']}", flush=True)
        if "deliveries" in only:
            out["deliveries"] = measure_deliveries(stack, url, args.deliveries, args.webhooks, args.samples)
            print(f"GET /v1/deliveries?webhook_id= with {args.deliveries:,} in the history: {out['deliveries']}",
                  flush=True)  # fmt: skip
        stop_process(proc)
        if "throughput" in only:
            out["throughput"] = measure_throughput(stack, args.events, args.runs)
            print(f"scenario 1 without/with the API scraped every second: {out['throughput']}", flush=True)
    finally:
        stack.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
