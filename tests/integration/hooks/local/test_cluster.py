"""The tests' own Redis Cluster (hooks/local/cluster.py), on the embedded 6.2 (created with the cluster commands) and
the system's 7.x (created with `redis-cli --cluster create`): keys spread over every primary, scripts get their keys
from one slot or fail, a SIGKILLed primary's replica takes over, and every process stops by pid."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from hooks.local.cluster import ClusterServer, ClusterTopology
from hooks.local.servers import embedded_redis_server_binary

# (binary, how the cluster is created): the embedded one ships a redis-cli too, so it takes the other road
VERSIONS = {
    "embedded-6.2": (embedded_redis_server_binary, "commands"),
    "system": (lambda: shutil.which("redis-server") or "", "cli"),
}
TWO_KEYS = "return {redis.call('SET', KEYS[1], ARGV[1]), redis.call('SET', KEYS[2], ARGV[1])}"


@pytest.fixture(scope="module", params=sorted(VERSIONS))
def cluster(request: pytest.FixtureRequest) -> Iterator[ClusterTopology]:
    find, create = VERSIONS[request.param]
    binary = find()
    if not binary:
        pytest.skip(f"no {request.param} redis-server here")
    with ClusterTopology(binary=binary, create=create) as started:  # type: ignore[arg-type]
        yield started


def owner(cluster: ClusterTopology, client: RedisCluster, key: str) -> ClusterServer:
    """The primary that serves `key`'s slot, as the cluster's own CLUSTER SLOTS says."""
    node = client.nodes_manager.get_node_from_slot(client.keyslot(key))
    return cluster.node(node.port)


def version(node: ClusterServer) -> str:
    with node.client(decode_responses=True) as c:
        return str(c.info("server")["redis_version"])


def test_the_shared_fixture_is_a_ready_cluster_of_six(redis_cluster: ClusterTopology) -> None:
    assert len(redis_cluster.nodes) == 6 and len(redis_cluster.primaries()) == 3
    assert all(len(redis_cluster.replicas_of(p)) == 1 for p in redis_cluster.primaries())
    assert redis_cluster.url == "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in redis_cluster.nodes)
    assert [(s.host, s.port) for s in redis_cluster.startup_nodes] == [("127.0.0.1", n.port) for n in
                                                                         redis_cluster.nodes]  # fmt: skip
    with redis_cluster.client(decode_responses=True) as client:
        assert client.set("shared-fixture", "1") and client.get("shared-fixture") == "1"


def test_keys_land_on_every_primary_and_read_back(cluster: ClusterTopology) -> None:
    with cluster.client(decode_responses=True) as client:
        keys = [f"spread:{i}" for i in range(200)]
        for key in keys:
            client.set(key, key)
        assert [client.get(k) for k in keys] == keys
        by_primary: dict[int, int] = {}
        for key in keys:
            primary = owner(cluster, client, key)
            with primary.client() as plain:  # the key is on that node itself, in the slot CLUSTER KEYSLOT names
                assert plain.exists(key) == 1 and plain.execute_command("CLUSTER KEYSLOT", key) == client.keyslot(key)
            by_primary[primary.port] = by_primary.get(primary.port, 0) + 1
    assert sorted(by_primary) == sorted(p.port for p in cluster.primaries()), by_primary
    assert all(count > 20 for count in by_primary.values()), by_primary
    print(f"\nRedis {version(cluster.nodes[0])}: 200 keys per primary port {by_primary}")


def test_a_script_runs_on_keys_of_one_hash_tag_and_fails_on_two_slots(cluster: ClusterTopology) -> None:
    with cluster.client(decode_responses=True) as client:
        assert client.eval(TWO_KEYS, 2, "{stack-1}:a", "{stack-1}:b", "v") == ["OK", "OK"]
        assert client.mget("{stack-1}:a", "{stack-1}:b") == ["v", "v"]
        assert client.keyslot("a") != client.keyslot("b")
        # redis-py refuses before sending; the server itself answers CROSSSLOT (redis-py's ClusterCrossSlotError)
        with pytest.raises(redis.RedisClusterException, match="same key slot"):
            client.eval(TWO_KEYS, 2, "a", "b", "v")
        with owner(cluster, client, "a").client() as plain, pytest.raises(redis.exceptions.ClusterCrossSlotError):
            plain.eval(TWO_KEYS, 2, "a", "b", "v")
        # a key the script was not given, served by another primary, fails too (undeclared keys are caught there)
        given = owner(cluster, client, "{stack-1}:a")
        other = next(f"other:{i}" for i in range(1000) if owner(cluster, client, f"other:{i}") is not given)
        undeclared = f"return redis.call('SET', '{other}', ARGV[1])"
        with given.client() as plain, pytest.raises(redis.ResponseError, match="non local key"):
            plain.eval(undeclared, 1, "{stack-1}:a", "v")


def test_a_killed_primarys_replica_takes_writes_to_its_slots_within_10_s(cluster: ClusterTopology) -> None:
    # (last in this module: the cluster stays one primary short)
    with cluster.client(decode_responses=True, retry=Retry(NoBackoff(), 1)) as client:
        old = cluster.primaries()[0]
        replicas = cluster.replicas_of(old)
        key = next(f"failover:{i}" for i in range(1000) if owner(cluster, client, f"failover:{i}") is old)
        client.set(key, "before")
        with old.client() as plain:
            assert plain.wait(1, 5000) == 1  # on the replica before the kill
        killed_at = time.monotonic()
        cluster.kill(old)
        error = None
        while time.monotonic() - killed_at < 10:
            try:
                if client.set(key, "after"):
                    break
            except (redis.RedisError, redis.RedisClusterException) as e:  # down until the replica takes over
                error = e
                time.sleep(0.1)
        took = time.monotonic() - killed_at
        print(f"\nRedis {version(replicas[0])}: a write to the killed primary's slots succeeded {took:.2f} s after "
              f"the SIGKILL (last error before: {error!r})")  # fmt: skip
        assert took < 10 and client.get(key) == "after"
    new = cluster.wait_failover(old, timeout_s=10)
    assert new in replicas and new.role == "primary" and old not in cluster.primaries()


def test_stop_ends_every_process_by_pid_also_after_a_failed_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with ClusterTopology() as cluster:
        pids = [node.pid for node in cluster.nodes]
        dirs = [Path(node.dir) for node in cluster.nodes]
        assert all(pids) and all(d.is_dir() for d in dirs)
    assert not any(_running(pid) for pid in pids if pid) and not any(d.exists() for d in dirs)

    def fail(*_: object) -> None:
        raise RuntimeError("creation failed half-way")

    monkeypatch.setattr(ClusterTopology, "_create_with_cli", fail)
    monkeypatch.setattr(ClusterTopology, "_create_with_commands", fail)
    broken = ClusterTopology()
    with pytest.raises(RuntimeError, match="half-way"):
        broken.start()
    started = [node.proc.pid for node in broken.nodes if node.proc is not None]
    assert len(started) == 6 and not any(_running(pid) for pid in started)
    assert not any(Path(node.dir).exists() for node in broken.nodes)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # (reaped by stop: a pid that answers is a process left over)
    except ProcessLookupError:
        return False
    return True


def test_bad_shapes_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="primaries"):
        ClusterTopology(primaries=2)
    with pytest.raises(ValueError, match="replicas"):
        ClusterTopology(replicas=-1)
