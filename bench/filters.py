"""`python -m bench.filters`: the fan-out's cost with a payload filter on each of 1,000 webhooks, against none.

    .venv/bin/python -m bench.filters            # 1,000 webhooks, 30 events per run, 3 runs of each way (~45 s)
    .venv/bin/python -m bench.filters --quick    # 200 webhooks, 10 events, 1 run: a smoke run

One private redis-server on 127.0.0.1 (stopped by pid), no worker: this process makes the drains' own take calls
(workers/drain/take.lua, the real script) until the fan-out list is empty, so what is timed is the fan-out (resolve,
filters, creating the deliveries) plus the batch each call hands out. Four ways, alternated, each run on a fresh
registry: `none` (no filter), `match` (every webhook has a filter of its own, two conditions, that the events
pass), `shared` (one such filter on every webhook) and `miss` (the `match` filters with a locale the events do
not have: no delivery is made, the event notes 1,000 filtered-out webhooks). In `match` the second condition
differs per webhook (`$gte: -i`), so the per-event memo of condition verdicts (includes/filter.lua) does not
hide its cost: the worst case. Reported per event: Redis's CPU (INFO; the target's measure: this machine's
other processes do not count in it) and the wall time of the take calls (noisier: it includes the client and
the AOF), medians of the runs, and the ratios to `none` (target: match <= 1.20 in Redis CPU).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import redis

TARGET_RATIO = 1.20
WAYS = ("none", "match", "shared", "miss")
EVENT_TYPE = "content_types.entries.publish"


def _filter(way: str, i: int) -> dict[str, Any] | None:
    if way == "none":
        return None
    locales = ["fr-fr"] if way == "miss" else ["en-us", "en-gb"]
    return {"data.entry.locale": {"$in": locales}, "data.entry.version": {"$gte": 0 if way == "shared" else -i}}


def _register(client: redis.Redis, way: str, webhooks: int) -> None:
    from hooks.models.webhook import Webhook
    from hooks.registry.index import write
    from hooks.settings import get_settings
    from hooks.store.keys import Keys

    keys = Keys(get_settings())
    with client.pipeline(transaction=False) as pipe:
        for i in range(webhooks):
            wh = Webhook(url=f"http://127.0.0.1:9/w{i}", events=[EVENT_TYPE], stack="blog", filter=_filter(way, i))
            write(pipe, keys, wh, old=None)
        pipe.execute()


def _payload(n: int) -> dict[str, Any]:
    """About 1 KB of data, like scenario 1's events."""
    return {"entry": {"uid": f"blt{n:08d}", "locale": "en-us", "version": 3, "title": "Hello " * 20,
                      "body": "x" * 700, "tags": ["news", "sport"]}, "content_type": {"uid": "blog_post"}}  # fmt: skip


def _cpu_s(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def one_run(client: redis.Redis, way: str, webhooks: int, events: int) -> dict[str, float]:
    """Register the webhooks of `way`, publish `events`, and time the take calls that fan them out."""
    import hooks
    from bench.load import clean
    from hooks.settings import get_settings
    from hooks.store.keys import Keys
    from workers.drain import drain
    from workers.drain.batch import Settled

    clean(client, unacked=True)
    _register(client, way, webhooks)
    hooks.publish_events([{"event_type": EVENT_TYPE, "stack": "blog", "data": _payload(n)} for n in range(events)])
    s, fanout = get_settings(), Keys(get_settings()).fanout
    calls, cpu0, t0, own0 = 0, _cpu_s(client), time.perf_counter(), time.process_time()
    while client.llen(fanout) > 0:
        drain._TAKE.run_named(client, drain.take_options(s, f"bench{calls}", "take", Settled()))
        calls += 1
    wall_s, cpu_s, own_s = time.perf_counter() - t0, _cpu_s(client) - cpu0, time.process_time() - own0
    made = client.zcard(Keys(s).deliveries_all)
    expected = webhooks * events if way != "miss" else 0
    if made != expected:
        raise RuntimeError(f"{way}: {made} deliveries made, expected {expected}.")
    return {"wall_ms_per_event": wall_s * 1000 / events, "redis_cpu_ms_per_event": cpu_s * 1000 / events,
            "client_cpu_ms_per_event": own_s * 1000 / events, "take_calls": calls}  # fmt: skip


def measure(client: redis.Redis, webhooks: int, events: int, runs: int) -> dict[str, Any]:
    """Every way `runs` times, the order rotating each run; medians per way and the ratios to `none`."""
    got: dict[str, list[dict[str, float]]] = {w: [] for w in WAYS}
    one_run(client, "match", webhooks, max(2, events // 4))  # warm-up: script load, allocator
    for run in range(runs):
        order = WAYS[run % len(WAYS) :] + WAYS[: run % len(WAYS)]
        for way in order:
            fig = one_run(client, way, webhooks, events)
            got[way].append(fig)
            print(f"  run {run + 1} {way:5}: {fig['wall_ms_per_event']:.3f} ms/event wall, "
                  f"{fig['redis_cpu_ms_per_event']:.3f} ms/event Redis CPU, {fig['client_cpu_ms_per_event']:.3f} "
                  f"ms/event this client's CPU ({fig['take_calls']} take calls)",
                  flush=True)  # fmt: skip
    med = {w: {k: round(statistics.median(f[k] for f in figs), 3) for k in ("wall_ms_per_event",
                                                                            "redis_cpu_ms_per_event")}
           for w, figs in got.items()}  # fmt: skip
    ratio = {w: round(med[w]["redis_cpu_ms_per_event"] / med["none"]["redis_cpu_ms_per_event"], 3) for w in WAYS}
    wall_ratio = {w: round(med[w]["wall_ms_per_event"] / med["none"]["wall_ms_per_event"], 3) for w in WAYS}
    return {"webhooks": webhooks, "events": events, "runs": runs, "median": med, "cpu_ratio": ratio,
            "wall_ratio": wall_ratio}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Start a private Redis, run the three ways, print the table; 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--events", type=int, default=30, help="events per run")
    parser.add_argument("--runs", type=int, default=3, help="runs of each way, alternated")
    parser.add_argument("--quick", action="store_true", help="tiny numbers: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.webhooks, args.events, args.runs = 200, 10, 1
    from bench.procs import PRODUCT_ENV
    from hooks.local.servers import RedisServer
    from hooks.settings import reset_settings
    from hooks.store.connection import close_all

    server = RedisServer().start()
    try:
        os.environ.update({**PRODUCT_ENV, "REDIS_URL": server.url})
        reset_settings(None)
        close_all()
        client = redis.Redis.from_url(server.url)
        fig = measure(client, args.webhooks, args.events, args.runs)
        client.close()
    finally:
        server.stop()
    med = fig["median"]
    print(f"\nfan-out of one event to {fig['webhooks']} webhooks (median of {fig['runs']} runs, {fig['events']} "
          "events each):")  # fmt: skip
    for way in WAYS:
        print(f"  {way:5}  {med[way]['wall_ms_per_event']:8.3f} ms wall  {med[way]['redis_cpu_ms_per_event']:8.3f} ms "
              f"Redis CPU  x{fig['cpu_ratio'][way]} CPU, x{fig['wall_ratio'][way]} wall")  # fmt: skip
    met = fig["cpu_ratio"]["match"] <= TARGET_RATIO
    print(f"filters that match, against none: x{fig['cpu_ratio']['match']} Redis CPU (target <= x{TARGET_RATIO}: "
          f"{'met' if met else 'MISSED'}), x{fig['wall_ratio']['match']} wall")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
