"""Our worker with candidate product changes monkeypatched in, to measure them before anyone edits the product.

`python -m bench.patched <celery args>` applies the patches named in `BENCH_PATCHES` (comma-separated), then runs
Celery exactly as `python -m celery <celery args>` would. Used only by `python -m bench.experiments`.

- `kombu_client`: kombu's Redis channel builds a new `redis.Redis` for every ack bookkeeping step (QoS.append on
  receipt, QoS.ack); with redis-py 8 each construction costs ~0.2 ms of CPU. Reuse one client per channel.
- `webhook_cache`: parse each webhook's JSON with pydantic (URL, pattern and secret validators) once per
  distinct JSON instead of once per delivery and per fan-out.
- `quiet_logs`: Celery's two INFO lines per task ("received", "succeeded") and fan-out's INFO line off.
- `one_trip`: the attempt's breaker bookkeeping in fewer round trips: releasing the in-flight lease and the
  success path's breaker-state read ride in one pipeline.
- `slow_busy`: a delivery over its webhook's in-flight cap comes back after 2-4 s, not 0.25-0.5 s.
- `light_parse` (in the benchmark process, matching only): `resolve` parses just id/enabled/branches.
- `publish_one_trip` (in the benchmark process, publishing only): no SCRIPT EXISTS round trip per publish.
- `batch`: many ids per Celery task (see `batch`); the benchmark publishes with one fan-out task per batch.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
from typing import Any


def kombu_client() -> None:
    from kombu.transport import redis as kredis

    original = kredis.Channel._create_client

    def create(self: Any, asynchronous: bool = False) -> Any:
        if asynchronous:
            return original(self, asynchronous=True)
        local = self.__dict__.setdefault("_bench_clients", threading.local())
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = original(self, asynchronous=False)
        return client

    kredis.Channel._create_client = create


def webhook_cache() -> None:
    import hooks.webhooks

    parse = functools.lru_cache(maxsize=4096)(hooks.webhooks.parse_stored)
    for name, module in list(sys.modules.items()):
        if (name.startswith(("hooks", "workers")) and getattr(module, "parse_stored", None) is not None
                and module.parse_stored is not parse):  # fmt: skip
            module.parse_stored = parse


def quiet_logs() -> None:
    for name in ("celery.app.trace", "celery.worker.strategy", "hooks.fanout"):
        logging.getLogger(name).setLevel(logging.WARNING)


def one_trip() -> None:
    from hooks import breaker
    from hooks.keys import Keys

    original_release, original_observe = breaker.release, breaker.observe
    pending = threading.local()

    def release(client: Any, *args: Any) -> None:
        pending.args = args  # done by observe() below, in the round trip that reads the breaker state

    def observe(client: Any, settings: Any, webhook: Any, ok: bool) -> None:
        args, pending.args = getattr(pending, "args", None), None
        if not ok:
            if args is not None:
                original_release(client, *args)
            original_observe(client, settings, webhook, ok)
            return
        with client.pipeline(transaction=False) as pipe:
            if args is not None:
                original_release(pipe, *args)
            pipe.hget(Keys(settings).webhook_state(webhook.id), "failures")
            failures = pipe.execute()[-1]
        if failures is not None:
            original_observe(client, settings, webhook, ok)

    breaker.release = release  # type: ignore[assignment]
    breaker.observe = observe  # type: ignore[assignment]


def batch() -> None:
    """Tasks that carry many ids: `bench.fan_out_many(event_ids)` and `bench.deliver_many(delivery_ids)`.

    The fan-out reuses the product's resolve and create script (messages pushed to a scratch list and dropped),
    then sends the created delivery ids in chunks of BENCH_BATCH to `bench.deliver_many`, which runs the product's
    `run_delivery` for each. What `publish_events` -> one fan-out per batch -> one task per chunk would cost.
    """
    import time

    from config import get_settings
    from hooks import fanout
    from hooks.connection import get_redis
    from hooks.ids import delivery_id
    from hooks.keys import DELIVERIES_QUEUE, Keys
    from hooks.registry import resolve
    from hooks.taskmsg import DELIVER_TASK, message_template
    from workers.app import app

    k = int(os.environ.get("BENCH_BATCH", "25"))

    @app.task(name="bench.deliver_many", ignore_result=True)
    def deliver_many(ids: list[str]) -> None:
        from hooks.attempt import run_delivery

        settings = get_settings()
        client = get_redis(settings)
        for i in ids:
            run_delivery(i, settings, client)

    @app.task(name="bench.fan_out_many", ignore_result=True)
    def fan_out_many(event_ids: list[str]) -> None:
        settings = get_settings()
        client, keys = get_redis(settings), Keys(settings)
        scratch = f"{keys.p}:scratch:{threading.get_ident()}"
        script = client.register_script(fanout._CREATE_LUA)
        template = message_template(DELIVER_TASK, DELIVERIES_QUEUE)
        ids: list[str] = []
        for ev in event_ids:
            meta = client.hmget(keys.event(ev), ["type", "stack", "branch", "channels"])
            if meta[0] is None:
                continue
            etype, stack, branch, channels = (m.decode() for m in meta)
            hooks_ = resolve(stack, branch, (etype, *(c for c in channels.split(",") if c)), client=client)
            pairs = [x for wh in hooks_ for x in (delivery_id(ev, wh.id), wh.id)]
            if pairs:
                script(
                    keys=[scratch],
                    args=[keys.p, time.time(), int(settings.retention_days * 86400), ev, template, *pairs],
                )
                ids += pairs[::2]
        client.unlink(scratch)
        for start in range(0, len(ids), k):
            deliver_many.apply_async((ids[start : start + k],), queue=DELIVERIES_QUEUE)

    app.conf.task_routes = {**(app.conf.task_routes or {}), "bench.fan_out_many": {"queue": BATCH_EVENTS_QUEUE},
                            "bench.deliver_many": {"queue": DELIVERIES_QUEUE}}  # fmt: skip


def slow_busy() -> None:
    """A delivery over its webhook's in-flight cap waits 2-4 s instead of 0.25-0.5 s before it is tried again."""
    from hooks import breaker

    breaker.BUSY_DELAY_S = 2.0


def light_parse() -> None:
    """`resolve` reads only id, enabled and branches of each candidate: json.loads instead of a pydantic model."""
    import json
    from types import SimpleNamespace

    import hooks.registry

    def parse(raw: bytes) -> SimpleNamespace:
        d = json.loads(raw)
        return SimpleNamespace(id=d["id"], enabled=d["enabled"], branches=d["branches"])

    hooks.registry.parse_stored = parse  # type: ignore[assignment]


def publish_one_trip() -> None:
    """A pipeline stops asking SCRIPT EXISTS before every execute once its scripts are known to be loaded."""
    import redis.client

    original = redis.client.Pipeline.load_scripts
    loaded: set[str] = set()

    def load_scripts(self: Any) -> None:
        shas = {s.sha for s in self.scripts}
        if not shas <= loaded:
            original(self)
            loaded.update(shas)

    redis.client.Pipeline.load_scripts = load_scripts  # type: ignore[method-assign]


BATCH_EVENTS_QUEUE = "bench_events"  # the product's per-event fan-out messages stay unconsumed in "events"

PATCHES = {"kombu_client": kombu_client, "webhook_cache": webhook_cache, "quiet_logs": quiet_logs,
           "one_trip": one_trip, "batch": batch, "slow_busy": slow_busy,
           "light_parse": light_parse, "publish_one_trip": publish_one_trip}  # fmt: skip


def main() -> None:
    for name in filter(None, os.environ.get("BENCH_PATCHES", "").split(",")):
        PATCHES[name]()
    if "quiet_logs" in os.environ.get("BENCH_PATCHES", ""):
        from celery.signals import worker_ready

        worker_ready.connect(lambda **_: quiet_logs(), weak=False)
    from celery.bin.celery import main as celery_main

    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
