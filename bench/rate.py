"""Scenario 11, a rate per webhook (`rate_limit_per_s`): a webhook limited to 50/s and to 500/s, with a backlog
that would go much faster, measured over a window after a warm-up, with 8 worker threads sending; and an
unlimited neighbour's deliveries/s alone (just before) and beside it: the baseline of the same invocation.

The limited webhook's rate is the count of its arrivals inside the window divided by the window; the largest
count in any one second of the whole run (the first burst included) is reported too.
"""

from __future__ import annotations

import bisect
import time
from typing import Any

from bench import load
from bench.procs import Stack, WorkerSet
from bench.sizes import Sizes

STACK = "rate"
LIMITED, FREE = "rate.limited", "rate.free"
RATES = (50.0, 500.0)


def rate(stack: Stack, sz: Sizes) -> dict[str, Any]:
    """The limited webhook at each rate, and its unlimited neighbour alone and beside it."""
    env = (("HOOKS_DRAIN_TASKS", str(max(1, sz.rate_threads - 1))),) if sz.rate_threads else ()
    stack.workers(WorkerSet("ours", 1, False, env, concurrency=sz.rate_threads))
    out: dict[str, Any] = {"threads": sz.rate_threads or stack.concurrency, "window_s": sz.rate_s}
    _free_alone(stack, sz, sz.rate_free_n // 4)  # a warm-up: fresh workers open their connections
    for limit in RATES:  # the neighbour alone just before each run beside the limited webhook: the same conditions
        alone = _free_alone(stack, sz, sz.rate_free_n)
        out[f"at_{limit:g}"] = {**_limited(stack, sz, limit), "free_alone": alone}
    return out


def _free_alone(stack: Stack, sz: Sizes, n: int) -> dict[str, Any]:
    client, rcv = stack.client, stack.receiver
    load.write_webhooks(client, [(rcv.url + "/free", STACK, [FREE])])
    rcv.take()
    t0 = time.time()
    load.publish_ours(FREE, STACK, n, sz.payload_b)
    load.wait_unique(rcv, n, 60.0)
    rows, _ = rcv.take()
    load.clean(client)
    return load.rate_figures(rows, n, t0)


def _limited(stack: Stack, sz: Sizes, limit: float) -> dict[str, Any]:
    """A backlog for the limited webhook (more than the run can send), then the neighbour's events."""
    client, rcv = stack.client, stack.receiver
    load.write_webhooks(client, [(rcv.url + "/limited", STACK, [LIMITED])], rate_limit_per_s=limit)
    load.write_webhooks(client, [(rcv.url + "/free", STACK, [FREE])])
    rcv.take()
    t0 = time.time()
    load.publish_ours(LIMITED, STACK, int(limit * (sz.rate_warmup_s + sz.rate_s + 2)), sz.payload_b)
    t_free = time.time()
    load.publish_ours(FREE, STACK, sz.rate_free_n, sz.payload_b)
    start, end = t0 + sz.rate_warmup_s, t0 + sz.rate_warmup_s + sz.rate_s
    time.sleep(max(0.0, end + 0.2 - time.time()))
    rows, _ = rcv.take()
    load.clean(client)
    limited = sorted(at for at, _, key in rows if key.startswith("/limited#"))
    free = [r for r in rows if r[2].startswith("/free#")]
    measured = sum(1 for at in limited if start <= at < end) / sz.rate_s
    busiest = max((bisect.bisect_left(limited, at + 1.0) - i for i, at in enumerate(limited)), default=0)
    return {"limit_per_s": limit, "deliveries_per_s": round(measured, 2),
            "error_pct": round(100 * (measured / limit - 1), 2), "max_in_any_1s": busiest,
            "free": load.rate_figures(free, sz.rate_free_n, t_free)}  # fmt: skip
