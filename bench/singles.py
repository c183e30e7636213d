"""Scenario 12, singles: a producer that publishes one event per `publish_event` call, as a web app does.

Scenario 1 publishes in batches of 500; here every delivery pays for its own publish, fan-out, hand-out and settle
as events trickle in. Same worker set as scenario 1 (one process of ours, events off) with the scheduler and the
archiver running (history on), one webhook on the fast receiver, 1 KB events. One producer thread, then four
(the events split between them). Besides deliveries/s and CPU per delivery of every process, Redis's calls and
usec per delivery by command (`bench.commandstats`) say where Redis's time goes, and the producer threads' own
CPU per delivery says what a publish costs the web app.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bench import commandstats, load
from bench.procs import Stack, WorkerSet
from bench.scenarios import EVENT, STACK, _wait_s
from bench.sizes import Sizes

THREADS = (1, 4)


def singles(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """N `publish_event` calls from one thread, then from four; figures per variant."""
    stack.workers(WorkerSet("ours", 1, False, ()))
    out: dict[str, Any] = {"events": sz.singles_n, "payload_b": sz.payload_b}
    for threads in THREADS:
        out[f"threads_{threads}"] = singles_run(stack, sz.singles_n, threads, sz.payload_b)
    return out


def singles_run(stack: Stack, n: int, threads: int, size_b: int) -> dict[str, Any]:
    """n events to one webhook, one `publish_event` each, from `threads` threads; deliveries/s from the first
    publish to the last receipt."""
    client, rcv = stack.client, stack.receiver
    load.write_webhooks(client, [(rcv.url + "/s", STACK, [EVENT])])
    rcv.take()
    shares = [range(i, n, threads) for i in range(threads)]  # distinct sequence numbers: the receiver dedupes on them
    errors: list[BaseException] = []
    producer_cpu_s: list[float] = []  # each thread's own CPU: the producer is this process, not a stack process

    def produce(seqs: range) -> None:
        one = load.publish_one_ours(EVENT, STACK, size_b)
        cpu_t0 = time.thread_time()
        try:
            for i in seqs:
                one(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the run, not lost in a thread
            errors.append(exc)
        producer_cpu_s.append(time.thread_time() - cpu_t0)

    workers = [threading.Thread(target=produce, args=(s,), name=f"bench-single-{i}") for i, s in enumerate(shares)]
    calls0 = commandstats.snapshot(client)
    cpu0 = stack.cpu()
    t0 = time.time()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    publish_s = time.time() - t0
    if errors:
        load.clean(client)
        raise RuntimeError(f"a producer thread failed: {errors[0]!r}") from errors[0]
    load.wait_unique(rcv, n, _wait_s(n))
    cpu = {k: round((v - cpu0[k]) * 1000 / n, 3) for k, v in stack.cpu().items()}
    calls = commandstats.per_delivery(calls0, commandstats.snapshot(client), n)
    rows, requests = rcv.take()
    load.clean(client)
    return {"threads": threads, **load.rate_figures(rows, n, t0), "publish_s": round(publish_s, 3),
            "duplicates": requests - len(rows), "cpu_ms_per_delivery": cpu,
            "producer_cpu_ms_per_delivery": round(sum(producer_cpu_s) * 1000 / n, 3),
            "redis_calls_per_delivery": calls}  # fmt: skip
