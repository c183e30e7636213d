"""Redis stopped for 20 s while the app commits 2,000 events, one per transaction: the rows wait in the outbox,
the relay says once that Redis went and once that it is back, and every event arrives after it returns."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import hooks
from hooks import outbox
from hooks.local.processes import start_process, stop_process, worker_args
from hooks.local.sentinel import DurableRedis
from tests.conftest import use_env, wait_for
from tests.integration.outbox.test_relay import relay

pytestmark = pytest.mark.slow  # 2,000 commits with Redis down 20 s


@pytest.fixture
def durable_redis() -> Iterator[DurableRedis]:
    """A private Redis with an append-only file, to stop and start again with its data."""
    server = DurableRedis(fsync="everysec").start()
    yield server
    server.stop()


def test_events_committed_while_redis_is_down_all_arrive_after_it_returns(
    durable_redis, app_pg: Engine, receiver, hooks_env, log_dir, monkeypatch
):
    # Given a worker and a relay on a Redis of their own, and a webhook
    env = {**hooks_env, "REDIS_URL": durable_redis.url}
    use_env(env, monkeypatch)
    hooks.create_webhook(receiver.url + "/down", ["orders.#"])
    worker = start_process(worker_args(concurrency=4), env, log_dir / "down-worker.log")
    relay_log = log_dir / "down-relay.log"
    proc = relay(env, app_pg, relay_log)
    try:
        wait_for(lambda: " ready." in (log_dir / "down-worker.log").read_text(), 30, what="the worker")
        _commit(app_pg, 0)
        wait_for(lambda: receiver.requests_to("/down"), 20, what="the first delivery")
        # When Redis is stopped for 20 s while the app commits 2,000 events, one per transaction
        durable_redis.kill()
        stopped = time.monotonic()
        producer = threading.Thread(target=lambda: [_commit(app_pg, n, pace_s=0.007) for n in range(1, 2001)])
        producer.start()
        producer.join(timeout=60)
        time.sleep(max(0.0, 20 - (time.monotonic() - stopped)))
        durable_redis.start()
        # Then every event arrives, and the relay logged the outage in two lines
        wanted = set(range(2001))
        wait_for(lambda: _orders(receiver) >= wanted, 90, what="all 2,001 orders at the receiver")
        assert _orders(receiver) == wanted
        log = relay_log.read_text()
        assert log.count("is unreachable or refuses writes") == 1 and log.count("Redis is back after") == 1, log
    finally:
        stop_process(proc)
        stop_process(worker)


def _commit(engine: Engine, n: int, *, pace_s: float = 0.0) -> None:
    with engine.begin() as conn:
        outbox.publish(conn, "orders.created", {"order": n})
    time.sleep(pace_s)


def _orders(receiver) -> set[int]:  # type: ignore[no-untyped-def]
    return {json.loads(r.body)["data"]["order"] for r in receiver.requests_to("/down")}
