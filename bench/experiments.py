"""Measure candidate product changes: scenario 1 (events off) with each change monkeypatched into our worker.

    python -m bench.experiments [--n 5000] [--concurrency 32] [--sets none,kombu_client,...] [--out bench/results]
    python -m bench.experiments --scenario isolation --sets none,slow_busy [--rate 50] [--seconds 12]
    python -m bench.experiments --scenario matching --sets none,light_parse
    python -m bench.experiments --scenario publishing --sets none,publish_one_trip

Each set is a '+'-joined list of patches from `bench.patched` ("none" = the product as it is). Same stack, same
receiver, one worker process; prints deliveries/s and worker CPU ms per delivery (or the isolation figures),
writes experiments-<UTC>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import load, scenarios
from bench.patched import BATCH_EVENTS_QUEUE
from bench.procs import Stack, WorkerSet
from bench.run import RESULTS, configure

DEFAULT_SETS = (
    "none,quiet_logs,kombu_client,webhook_cache,one_trip,quiet_logs+kombu_client+webhook_cache+one_trip,"
    "batch,batch+quiet_logs+kombu_client+webhook_cache+one_trip"
)


def batched_run(stack: Stack, kind: str, n: int, size_b: int) -> dict[str, Any]:
    """Scenario 1 as if `publish_events` sent one fan-out task per batch (the `batch` patch's tasks)."""
    from hooks import publish_events
    from workers.app import app

    client, rcv = stack.client, stack.receiver
    load.write_webhooks(client, [(rcv.url + "/t", scenarios.STACK, [scenarios.EVENT])])
    rcv.take()
    cpu0 = stack.cpu()
    t0 = time.time()
    for start in range(0, n, load.PUBLISH_BATCH):
        batch = range(start, min(n, start + load.PUBLISH_BATCH))
        ids = publish_events([{"event_type": scenarios.EVENT, "stack": scenarios.STACK,
                               "data": load.event_data(i, size_b)} for i in batch])  # fmt: skip
        app.send_task("bench.fan_out_many", args=[ids], queue=BATCH_EVENTS_QUEUE)
    load.wait_unique(rcv, n, 60 + n / 50)
    cpu = {k: round((v - cpu0[k]) * 1000 / n, 3) for k, v in stack.cpu().items()}
    rows, requests = rcv.take()
    load.clean(client)
    return {**load.rate_figures(rows, n, t0), "duplicates": requests - len(rows), "cpu_ms_per_delivery": cpu}


def in_process(stack: Stack, scenario: str, patches: str) -> dict[str, Any]:
    """Scenario 6 or 7 (full size) in a forked child of this process, with the patches applied there only."""
    import multiprocessing

    stack.stop_workers()  # the child must find no worker of ours to stop
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=lambda: send.send(_in_child(stack, scenario, patches)))
    child.start()
    try:
        if not recv.poll(300):
            raise RuntimeError(f"{scenario} experiment did not finish within 300 s")
        return recv.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(5)


def _in_child(stack: Stack, scenario: str, patches: str) -> dict[str, Any]:
    from bench import redis_scenarios
    from bench.patched import PATCHES
    from bench.sizes import FULL
    from hooks.connection import close_all

    close_all()
    stack._client = None
    for p in filter(None, patches.split(",")):
        PATCHES[p]()
    if scenario == "matching":
        return redis_scenarios.matching(stack, FULL)
    return redis_scenarios.publishing(stack, FULL)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.experiments", description=__doc__)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--sets", default=DEFAULT_SETS)
    p.add_argument("--scenario", choices=("throughput", "isolation", "matching", "publishing"), default="throughput")
    p.add_argument("--rate", type=float, default=50.0, help="isolation: events/s")
    p.add_argument("--seconds", type=float, default=12.0, help="isolation: publishing window")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    results = {}
    stack = Stack(args.concurrency)
    try:
        stack.start()
        configure(stack)
        for name in args.sets.split(","):
            patches = "" if name == "none" else name.replace("+", ",")
            if args.scenario in ("matching", "publishing"):
                results[name] = r = in_process(stack, args.scenario, patches)
                print(f"{name:40s} {json.dumps(r)}", flush=True)
                continue
            if args.scenario == "isolation":
                env = (("BENCH_PATCHES", patches),) if patches else ()
                results[name] = r = scenarios.isolation_for(stack, "ours", args.rate, args.seconds, 8.0, env=env)
                print(f"{name:40s} healthy p99 {r['alone']['p99_ms']} -> {r['with_dead']['p99_ms']} ms, "
                      f"{r['throughput_pct']} % of the rate alone", flush=True)  # fmt: skip
                continue
            env = (*scenarios.UNCAPPED, ("BENCH_PATCHES", patches)) if patches else scenarios.UNCAPPED
            batched = "batch" in name.split("+")
            queues = f"{BATCH_EVENTS_QUEUE},deliveries" if batched else "events,deliveries"
            stack.workers(WorkerSet("ours", 1, False, env, queues))
            run = batched_run if batched else scenarios.batch_run
            run(stack, "ours", min(300, args.n), 1024)  # warm up
            results[name] = run(stack, "ours", args.n, 1024)
            r = results[name]
            print(f"{name:60s} {r['deliveries_per_s']:8.1f}/s  worker {r['cpu_ms_per_delivery']['workers']:.2f} ms"
                  f"  redis {r['cpu_ms_per_delivery']['redis']:.2f} ms", flush=True)  # fmt: skip
    finally:
        stack.close()
        shutil.rmtree(stack.log_dir, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = args.out / f"experiments-{stamp}.json"
    path.write_text(
        json.dumps({"n": args.n, "concurrency": args.concurrency, "at": time.time(), "results": results}, indent=2)
    )
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
