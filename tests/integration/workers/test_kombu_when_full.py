"""A worker's broker channel on a full Redis (maxmemory reached, noeviction): kombu's own writes are refused.

Celery's consumer records each task message it takes as unacknowledged (ZADD + HSET), acks it in a MULTI (ZREM +
HDEL) and sweeps for abandoned ones under a SET lock; a full Redis refuses all three, and each error would end the
worker (Celery's "Unrecoverable error"). workers/kombu_patch.py runs the message untracked, acks without MULTI
and skips the sweep; the canary says when kombu no longer needs it.
"""

from __future__ import annotations

from collections.abc import Iterator

import kombu
import pytest
import redis
from kombu.transport import redis as kombu_redis

import workers.app  # noqa: F401 - applies the patch under test
from hooks.local.servers import RedisServer
from workers import kombu_patch


@pytest.fixture
def full_redis() -> Iterator[tuple[kombu.SimpleQueue, redis.Redis]]:
    """A queue with two messages on a private Redis that is then made full."""
    server = RedisServer().start()
    try:
        with kombu.Connection(server.url) as conn:
            queue = conn.SimpleQueue("drains")
            queue.put({"n": 1})
            queue.put({"n": 2})
            client = redis.Redis(port=server.port)
            client.config_set("maxmemory", int(client.info("memory")["used_memory"]) - 100_000)
            yield queue, client
            queue.close()
    finally:
        server.stop()


def test_a_full_redis_lets_a_channel_take_ack_and_sweep(full_redis) -> None:
    queue, client = full_redis
    message = queue.get(timeout=2)  # recorded as unacknowledged: refused, so it runs untracked
    assert message.payload == {"n": 1}
    message.ack()  # MULTI refused whole: the ack's two removals go one by one
    queue.channel.qos.restore_visible(interval=1)  # the sweep's lock is refused: skipped
    client.config_set("maxmemory", 0)
    again = queue.get(timeout=2)
    assert again.payload == {"n": 2}
    again.ack()
    assert client.zcard("unacked_index") == 0 and client.hlen("unacked") == 0


@pytest.mark.skipif(kombu.__version__ != "5.7.0", reason="the canary is for the kombu version the patch was made on")
def test_canary_unpatched_kombu_refuses_on_a_full_redis(full_redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """If this fails, kombu handles a full Redis itself: drop that part of workers/kombu_patch.py."""
    queue, _ = full_redis
    qos = kombu_redis.QoS
    monkeypatch.setattr(qos, "append", kombu_patch.original_append)
    monkeypatch.setattr(qos, "restore_visible", kombu_patch.original_restore_visible)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        queue.get(timeout=2)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        queue.channel.qos.restore_visible(interval=1)


def test_a_multi_refused_whole_at_its_exec_counts_as_full(full_redis, monkeypatch: pytest.MonkeyPatch) -> None:
    # Redis 7 may refuse the MULTI at its EXEC (memory crossed maxmemory after the commands were queued): redis-py
    # raises ExecAbortError, not OutOfMemoryError; it ended a worker in the full-Redis fault test
    queue, _ = full_redis
    oom = "Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'."

    def refused(*args: object) -> None:
        raise redis.exceptions.ExecAbortError(oom)

    monkeypatch.setattr(kombu_patch, "original_append", refused)
    assert queue.get(timeout=2).payload == {"n": 1}  # run untracked

    def aborted(*args: object) -> None:
        raise redis.exceptions.ExecAbortError("Transaction discarded because of previous errors.")

    monkeypatch.setattr(kombu_patch, "original_append", aborted)
    with pytest.raises(redis.exceptions.ExecAbortError):  # not a full Redis: not swallowed
        queue.get(timeout=2)
