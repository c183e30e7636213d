"""Redis SIGKILLed under a consuming worker: the broker connection is torn down without crashing the worker.

This is the kombu sequence Celery 5.7's consumer runs after a broker loss (collect(), then close()), on a channel
with unacknowledged messages and a BRPOP pending, next to a second channel with an auto-delete fanout queue (the
worker's pidbox). Without the patch in workers/kombu_patch.py the close ends in AttributeError('NoneType' ... 'hostname'),
which Celery reports as "Unrecoverable error" and the worker exits. The whole scenario, with real processes:
bench/redis_restart_repro.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import kombu
import pytest
import redis
from kombu import Connection, Exchange, Queue
from kombu.common import ignore_errors
from kombu.transport import redis as kombu_redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import workers.app  # noqa: F401 - applies the patch under test
from hooks.local.servers import RedisServer, free_port
from hooks.store.scripts import LuaScript, all_scripts
from workers import kombu_patch


@contextmanager
def _consuming_then_redis_killed() -> Iterator[tuple[Connection, Any]]:
    server = RedisServer().start()
    conn = Connection(server.url)
    try:
        channel: Any = conn.default_channel  # kombu.transport.redis.Channel
        queue = Queue("restart-test", routing_key="restart-test")
        conn.Producer().publish({"n": 1}, routing_key="restart-test", declare=[queue])
        got: list[object] = []
        conn.Consumer([queue], callbacks=[lambda body, msg: got.append(msg)], accept=["json"]).consume()
        pidbox = conn.channel()
        fanout = Queue("restart-test-bcast", Exchange("restart-test-bcast", type="fanout"), auto_delete=True)
        conn.Consumer([fanout], channel=pidbox, callbacks=[lambda b, m: None], accept=["json"], no_ack=True).consume()
        for _ in range(50):  # until the message is taken (unacked) and a BRPOP is left pending
            with suppress(TimeoutError):
                conn.drain_events(timeout=0.1)
            if got and channel._in_poll:
                break
        assert got and channel.qos._delivered and channel._in_poll, "setup: an unacked message and a pending BRPOP"
        assert server.proc is not None
        server.proc.kill()
        server.proc.wait(timeout=10)
        yield conn, channel
    finally:
        server.stop()


def _celery_teardown(conn: Connection) -> None:
    """What celery.worker.consumer.Consumer.on_connection_error_after_connected does to the broken connection."""
    with suppress(Exception):  # Celery ignores every error here too
        conn.collect(socket_timeout=5)
    ignore_errors(conn, conn.close)  # ignores connection errors only: anything else ends the worker


def test_a_channel_with_unacked_messages_closes_after_redis_dies() -> None:
    with _consuming_then_redis_killed() as (conn, channel):
        _celery_teardown(conn)  # raised AttributeError: 'NoneType' object has no attribute 'hostname'
        assert channel.closed


@pytest.mark.skipif(kombu.__version__ != "5.7.0", reason="the canary is for the kombu version the patch was made on")
def test_canary_unpatched_kombu_still_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """If this fails, kombu fixed it upstream: drop workers/kombu_patch.py."""
    monkeypatch.setattr(kombu_redis.Channel, "close", kombu_patch.original_close)
    with _consuming_then_redis_killed() as (conn, _), pytest.raises(AttributeError, match="hostname"):
        _celery_teardown(conn)


def test_run_script_works_again_when_redis_is_back_after_many_failed_calls() -> None:
    """Each failed call drops its connection; none may count against the pool's cap (MaxConnectionsError for good)."""
    port = free_port()
    client = redis.Redis(port=port, max_connections=3, socket_connect_timeout=0.5, socket_timeout=0.5,
                         retry=Retry(NoBackoff(), 0))  # as the product's clients: no silent retries  # fmt: skip
    script = next(s for s in map(LuaScript, all_scripts()) if s.name == "prune_pattern")
    for _ in range(10):  # Redis down: a producer retrying, or a drain waiting it out
        with pytest.raises(redis.ConnectionError):
            script.run(client, "wild", "a.*")
    server = RedisServer(port=port).start()
    try:
        assert script.run(client, "wild", "a.*") == 0
    finally:
        client.close()
        server.stop()
