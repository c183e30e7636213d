"""`python -m bench.proxy`: worker CPU per delivery direct against through the egress proxy (a real squid).

    .venv/bin/python -m bench.proxy             # 10,000 events per run, 3 runs of each, alternated
    .venv/bin/python -m bench.proxy --quick     # small numbers: a smoke run

1. Scenario 1 (throughput: N events to one webhook at the fast receiver, events off) with the workers direct and
   with HOOKS_EGRESS_PROXY_URL pointing at squid (no cache, basic auth, tests/support/squid.py), alternated
   `--runs` times (which goes first alternates too). Reported: worker CPU ms per delivery (median of the runs)
   and the ratio proxy/direct (target <= 1.10), deliveries/s, squid's own CPU per delivery (apart: it is the
   proxy's machine in production) and how many tunnels squid opened (kept alive: about one per worker thread).
2. The client alone, in this process: `workers.attempt.http.post` in a loop on one thread, direct and through
   squid, CPU µs per request (time.process_time), the tunnel set up once and kept.
Every process is private, on 127.0.0.1, and stopped by pid.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench import scenarios
from bench.procs import Stack, WorkerSet, tree_cpu_s
from hooks.settings import Settings
from tests.support.squid import Squid

TARGET_RATIO = 1.10


def measure_workers(stack: Stack, squid: Squid, n: int, runs: int) -> dict[str, Any]:
    """Scenario 1 direct and through squid, alternated; worker CPU per delivery and the ratio of the medians."""
    sets = {"direct": WorkerSet("ours", 1, False, ()),
            "proxy": WorkerSet("ours", 1, False, (("HOOKS_EGRESS_PROXY_URL", squid.url),))}  # fmt: skip
    got: dict[str, list[dict[str, Any]]] = {"direct": [], "proxy": []}
    squid_ms: list[float] = []
    tunnels_before = len(squid.access_log())
    for run in range(runs):
        for way in ("direct", "proxy") if run % 2 == 0 else ("proxy", "direct"):
            stack.workers(sets[way])
            scenarios.batch_run(stack, "ours", min(n, 1000), 1024)  # warm-up: imports, connections, tunnels
            squid0 = tree_cpu_s(squid.proc.pid) if squid.proc else 0.0
            fig = scenarios.batch_run(stack, "ours", n, 1024)
            if way == "proxy" and squid.proc:
                squid_ms.append(round((tree_cpu_s(squid.proc.pid) - squid0) * 1000 / n, 3))
            got[way].append(fig)
            print(f"  run {run + 1} {way}: {fig['deliveries_per_s']} deliveries/s, worker CPU "
                  f"{fig['cpu_ms_per_delivery']['workers']} ms/delivery", flush=True)  # fmt: skip
    stack.stop_workers()  # squid logs a tunnel when it closes
    time.sleep(0.5)
    cpu = {w: statistics.median(f["cpu_ms_per_delivery"]["workers"] for f in figs) for w, figs in got.items()}
    rate = {w: statistics.median(f["deliveries_per_s"] for f in figs) for w, figs in got.items()}
    return {"events": n, "runs": runs, "worker_cpu_ms_per_delivery": cpu, "deliveries_per_s": rate,
            "ratio": round(cpu["proxy"] / cpu["direct"], 3), "target_ratio": TARGET_RATIO,
            "squid_cpu_ms_per_delivery": statistics.median(squid_ms) if squid_ms else None,
            "squid_tunnels": len(squid.access_log()) - tunnels_before,
            "raw": {w: [f["cpu_ms_per_delivery"] for f in figs] for w, figs in got.items()}}  # fmt: skip


def measure_client(stack: Stack, squid: Squid, requests: int) -> dict[str, Any]:
    """CPU µs per `post` from one thread, direct and through squid (best of 3 rounds each, alternated)."""
    from workers.attempt import http

    base = Settings.from_env(stack.env())
    url = stack.receiver.url + "/client"
    out: dict[str, list[float]] = {"direct": [], "proxy": []}
    for _ in range(3):
        for way in ("direct", "proxy"):
            s = base.model_copy(update={"egress_proxy_url": squid.url if way == "proxy" else None})
            for _ in range(50):  # warm: the connection (or tunnel) is made here, then kept
                http.post(url, b"{}", {}, s)
            t0 = time.process_time()
            for _ in range(requests):
                result = http.post(url, b"{}", {}, s)
            out[way].append((time.process_time() - t0) * 1e6 / requests)
            assert result.ok, result
    best = {w: round(min(v), 1) for w, v in out.items()}
    stack.receiver.take()
    return {"requests": requests, "cpu_us_per_request": best, "ratio": round(best["proxy"] / best["direct"], 3)}


def main(argv: list[str] | None = None) -> int:
    """Start the private processes and squid, run both measures, print them; 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="events per run")
    parser.add_argument("--runs", type=int, default=3, help="runs of each way, alternated")
    parser.add_argument("--requests", type=int, default=5_000, help="requests per round of the client measure")
    parser.add_argument("--quick", action="store_true", help="tiny numbers: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.runs, args.requests = 500, 1, 300
    stack = Stack(concurrency=32).start()
    squid = Squid("bench", "bench-proxy-password")
    try:
        from bench.run import configure

        configure(stack)
        squid.start()
        client = measure_client(stack, squid, args.requests)
        print(f"client alone (one thread): {client}", flush=True)
        workers = measure_workers(stack, squid, args.events, args.runs)
        print(f"workers, scenario 1: {workers}", flush=True)
    finally:
        squid.stop()
        stack.close()
    cpu = workers["worker_cpu_ms_per_delivery"]
    met = workers["ratio"] <= TARGET_RATIO
    print(f"\nworker CPU per delivery: direct {cpu['direct']} ms, through squid {cpu['proxy']} ms "
          f"(x{workers['ratio']}, target <= x{TARGET_RATIO}: {'met' if met else 'MISSED'}); squid itself "
          f"{workers['squid_cpu_ms_per_delivery']} ms per delivery over {workers['squid_tunnels']} tunnels; "
          f"client alone {client['cpu_us_per_request']} µs per request (x{client['ratio']})")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
