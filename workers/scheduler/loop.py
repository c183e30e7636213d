"""The scheduler process: makes due retries ready, sends breaker probes, and takes back work of dead drains.

Safe to run several at once (every move is an atomic claim in Redis) and to kill at any time (a waiting retry
lives in Redis, not here). Run it with `python -m workers.scheduler` (workers/scheduler/__main__.py).
"""

from __future__ import annotations

import logging
import signal
import threading
import time

import redis

from hooks.deliveries.query import prune_indexes
from hooks.history.startup import check_at_start
from hooks.settings import Settings, get_settings
from hooks.store.connection import get_redis
from workers.breaker.breaker import release_probes
from workers.drain.drain import recover
from workers.scheduler.schedule import move_due

log = logging.getLogger("workers.scheduler")


def run(settings: Settings, stop: threading.Event) -> None:
    """Move due work until `stop` is set; Redis outages are waited out, not fatal."""
    client = get_redis(settings)
    last_prune = last_restore = 0.0
    down_since: float | None = None  # logged once when Redis goes away and once when it answers again
    while not stop.is_set():
        try:
            moved = release_probes(client, settings) + _drain(client, settings) + recover(client, settings)
            if down_since is not None:
                log.warning("scheduler: Redis answers again after %.1f s", time.monotonic() - down_since)
                down_since = None
            if time.time() - last_restore > max(1.0, settings.visibility_timeout_s / 5):
                moved += restore_abandoned()
                last_restore = time.time()
            if time.time() - last_prune > 3600:
                prune_indexes(client, settings, time.time())
                last_prune = time.time()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if down_since is None:
                log.warning("scheduler: Redis unavailable (%s); retrying every second", type(exc).__name__)
                down_since = time.monotonic()
            moved = 0
            stop.wait(1.0)
        if not moved:
            stop.wait(settings.scheduler_poll_s)


def restore_abandoned() -> int:
    """Put tasks of killed workers (unacked past the visibility timeout) back on their queues.

    Workers sweep for these themselves, but only from their event loop and behind a mutex; the scheduler sweeps
    too, so a crashed worker's tasks come back even when no worker's sweep runs.
    """
    from workers.app import app

    global _restore_failing
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.qos.restore_visible(num=1000, interval=1)
    except Exception as exc:  # noqa: BLE001 - a failed sweep is retried at the next one
        if _restore_failing != type(exc).__name__:  # once per kind of failure, not every few seconds
            log.warning("scheduler: restoring abandoned tasks failed (%s); trying again", type(exc).__name__)
        _restore_failing = type(exc).__name__
        return 0
    _restore_failing = None
    return 0


_restore_failing: str | None = None


def _drain(client: redis.Redis, settings: Settings) -> int:
    total = 0
    while True:
        moved = move_due(client, settings)
        total += moved
        if moved < settings.scheduler_batch:
            return total


def main() -> int:
    """Entry point of the scheduler process."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    check_at_start(settings, "scheduler")  # raises ConfigurationError / SchemaError: __main__ prints one line
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info("scheduler started (poll %.2fs, batch %d)", settings.scheduler_poll_s, settings.scheduler_batch)
    run(settings, stop)
    log.info("scheduler stopped")
    return 0
