"""The fault tests' own servers (hooks/local/sentinel.py): a Redis that keeps its data across a SIGKILL, and a
Sentinel topology that fails a killed primary over to its replica."""

from __future__ import annotations

import pytest

from hooks.local.sentinel import DurableRedis, SentinelTopology


def test_a_durable_redis_keeps_what_it_acknowledged_across_a_sigkill():
    server = DurableRedis(fsync="always").start()
    try:
        with server.client() as client:
            client.set("k", "v")
        pid = server.pid
        server.restart()  # SIGKILL, then start on the same port and directory
        assert server.pid != pid
        with server.client() as client:
            assert client.get("k") == b"v"
    finally:
        server.stop()


@pytest.mark.slow
def test_a_killed_primary_is_failed_over_to_the_replica_with_the_data():
    # (its restart as a replica, 15 s of Sentinel's own pace, is exercised by the sentinel_kill rows)
    topology = SentinelTopology().start()
    try:
        assert topology.url.startswith("redis+sentinel://127.0.0.1:") and topology.url.endswith("/hooks/0")
        old = topology.primary
        with old.client() as client:
            client.set("k", "v")
            client.wait(1, 5000)  # on the replica before the kill
        topology.kill_primary()
        new = topology.wait_failover(old)
        assert new is not old and topology.primary is new
        with new.client() as client:
            assert client.get("k") == b"v" and client.info("replication")["role"] == "master"
    finally:
        topology.stop()
