"""Redis in trouble, with real processes: full, its connections cut mid-drain, fewer replicas than asked for."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

import hooks
from hooks.cli import main as cli
from hooks.local.servers import RedisServer
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.conftest import every, wait_for


@pytest.fixture
def own_redis():
    """A redis-server of the test's own (its memory limit and clients are changed). Tests name it before
    make_cluster, so the cluster's processes stop while their Redis still runs: stopped after it, a worker's drains
    wait out the "outage" holding their work (up to their lease), and the worker is SIGKILLed 15 s later."""
    server = RedisServer().start()
    yield server
    server.stop()


def test_a_full_redis_refuses_publishes_at_once_and_keeps_delivering(own_redis, make_cluster, receiver, capsys):
    # Given running workers with 200 events in flight to a slow endpoint, then Redis reaching maxmemory (noeviction)
    cluster = make_cluster(REDIS_URL=own_redis.url)
    cluster.worker(), cluster.scheduler()
    receiver.script("/slow", [(204, 0.05, {})])
    hooks.create_webhook(receiver.url + "/slow", ["e"])
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(200)])
    client = get_redis()
    client.config_set("maxmemory", int(client.info("memory")["used_memory"]) - 100_000)
    assert len(set(receiver.ids_at("/slow"))) < 200, "still in flight when Redis is full"
    keys = Keys(cluster.settings)
    before = published(client, keys)
    # When a producer publishes, Then it fails at once, saying why (Redis's own refusal, not a timeout), with
    # nothing half-written (the workers go on fanning out and finishing meanwhile: only the publish's own keys count)
    with pytest.raises(hooks.PublishError, match="out of memory"):
        hooks.publish_event("e", {"i": "refused"}, idempotency_key="refused-1")
    assert not client.exists(f"{keys.p}:idem:refused-1")
    after = published(client, keys)
    assert after["events"] <= before["events"] and all(after[n] <= before[n] for n in ("in_flight", "to_fan_out"))
    assert cli(["webhook", "add", "--url", receiver.url + "/x", "--event", "e"]) == 2
    assert "Redis is out of memory" in capsys.readouterr().err
    # And the running workers deliver every accepted event meanwhile (which frees memory)
    wait_for(lambda: len(set(receiver.ids_at("/slow"))) == 200, 60, what="every accepted event delivered")
    client.config_set("maxmemory", 0)
    hooks.publish_event("e", {"i": "after"})
    wait_for(lambda: len(set(receiver.ids_at("/slow"))) == 201, 30, what="publishing works again")


def published(client: redis.Redis, keys: Keys) -> dict[str, Any]:
    """What publish writes (the workers only finish events and take them off these): the events' hashes, the index
    of events in flight, the fan-out queue."""
    return {"events": {k for k in client.scan_iter(f"{keys.p}:ev:*") if k != f"{keys.p}:ev:all".encode()},
            "in_flight": client.zcard(f"{keys.p}:ev:all"), "to_fan_out": client.llen(keys.fanout)}  # fmt: skip


def test_cut_connections_mid_drain_lose_nothing_and_the_worker_stays(own_redis, make_cluster, receiver):
    # Given a worker sending 300 events to a slow endpoint
    cluster = make_cluster(REDIS_URL=own_redis.url)
    worker = cluster.worker()
    cluster.scheduler()
    receiver.script("/slow", [(204, 0.01, {})])
    hooks.create_webhook(receiver.url + "/slow", ["e"])
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(300)])
    wait_for(lambda: len(receiver.requests_to("/slow")) >= 30, what="the drains to be under way")
    # When Redis drops every client connection, twice, while batches are out
    admin = redis.Redis(port=own_redis.port)
    for _ in range(2):
        admin.client_kill_filter(_type="normal", skipme=True)
        time.sleep(0.3)
    # Then every event arrives (at least once), nothing is left in flight, and the worker is still running
    wait_for(lambda: len(set(receiver.ids_at("/slow"))) == 300, 90, what="all 300 delivered")
    wait_for(lambda: len(every(hooks.list_deliveries, status="delivered")) == 300, 60, what="all recorded delivered")
    assert worker.poll() is None
    assert get_redis().zcard(Keys(cluster.settings).leased) == 0


def test_publish_waits_for_the_replicas_it_is_told_to(own_redis, make_cluster):
    # Given a primary with one replica (synced at once, not after Redis's default 5 s), and publish told to wait for one
    # (within the default 3 s: a loaded machine took over the 0.75 s that a 1 s timeout leaves the WAIT)
    redis.Redis(port=own_redis.port).config_set("repl-diskless-sync-delay", 0)
    replica = RedisServer(extra_args=["--replicaof", "127.0.0.1", str(own_redis.port)]).start()
    try:
        make_cluster(REDIS_URL=own_redis.url, HOOKS_PUBLISH_MIN_REPLICAS="1", HOOKS_PUBLISH_TIMEOUT_S="3")
        wait_for(lambda: redis.Redis(port=replica.port).info("replication").get("master_link_status") == "up",
                 what="the replica to be in sync")  # fmt: skip
        # When it publishes, Then it returns once the replica has the event
        event_id = hooks.publish_event("e", {"n": 1})
        assert redis.Redis(port=replica.port).exists(f"hooks:ev:{event_id}")
    finally:
        replica.stop()
    # And with the replica gone it fails once the publish timeout is spent, saying a failover could lose the event
    with pytest.raises(hooks.PublishError, match="only 0 of the 1 replicas"):
        hooks.publish_event("e", {"n": 2}, idempotency_key="k2")
