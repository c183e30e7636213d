"""The archiver's acknowledgement (acknowledge.lua): stream entries leave and the metrics move in one call, on a
full Redis too (maxmemory reached, noeviction), where the archiver is what frees memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

import workers.archiver.archiver as archiver_module
from hooks.local.servers import RedisServer
from hooks.metrics.counters import archived_ops
from hooks.metrics.keys import MetricKeys
from hooks.settings import Settings
from hooks.store.keys import Keys
from hooks.store.stream import GROUP
from tests.unit.hooks.metrics.test_counters import attempt, delivery
from workers.archiver.archiver import _ACKNOWLEDGE, Archiver


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    server = RedisServer().start()
    try:
        yield redis.Redis(port=server.port)
    finally:
        server.stop()


def _entries(client: redis.Redis, keys: Keys, n: int) -> list[bytes]:
    client.xgroup_create(keys.history, GROUP, id="0", mkstream=True)
    ids = [client.xadd(keys.history, {"r": "x" * 200}) for _ in range(n)]
    client.xreadgroup(GROUP, "a1", {keys.history: ">"}, count=n)
    return ids


@pytest.mark.parametrize("full", [False, True], ids=["room", "full"])
def test_entries_leave_the_stream_and_the_metrics_move_in_one_call(client: redis.Redis, full: bool) -> None:
    # Given 3 stream entries read by an archiver, and records of 3 delivered deliveries of one webhook
    settings = Settings(key_prefix="t")
    keys = Keys(settings)
    ids = _entries(client, keys, 3)
    records = [delivery("wh_a", "delivered", n=i) for i in range(3)]
    ops = archived_ops(settings, records, [attempt("wh_a", 204, 2.0, n=i) for i in range(3)])
    if full:  # Redis at maxmemory: a plain write is refused
        client.config_set("maxmemory", int(client.info("memory")["used_memory"]) - 100_000)
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            client.set("t:anything", "1")
    # When the batch is acknowledged
    acked = _ACKNOWLEDGE.run(client, keys.p, keys.history, GROUP, len(ids), *ids, 0, 0, *ops)
    # Then its entries are acknowledged and gone, and the webhook's counters hold the three deliveries
    assert acked == 3 and client.xlen(keys.history) == 0
    assert client.xpending(keys.history, GROUP)["pending"] == 0
    counters = {k.decode(): v.decode() for k, v in client.hgetall(MetricKeys(settings).webhook("wh_a")).items()}
    assert counters.get("d:delivered") == "3", counters
    assert not client.exists(f"{keys.p}:no-such-key")


def test_finished_work_leaves_the_indexes_in_the_same_call_and_work_back_in_flight_stays(client: redis.Redis) -> None:
    # Given one stream entry whose batch finished two deliveries and two events, of which one delivery was put
    # back in flight since (a replay: pending again) and one event has a delivery open again
    settings = Settings(key_prefix="t")
    keys = Keys(settings)
    ids = _entries(client, keys, 1)
    done, replayed = "msg_e1_a", "msg_e1_b"
    client.hset(f"{keys.p}:dl:{done}", "status", "delivered")
    client.hset(f"{keys.p}:dl:{replayed}", "status", "pending")
    client.hset(f"{keys.p}:ev:evt_e1", mapping={"type": "t.x", "fanned": 1, "open": 0})
    client.hset(f"{keys.p}:ev:evt_e2", mapping={"type": "t.x", "fanned": 1, "open": 1})
    for d in (done, replayed):
        client.zadd(keys.deliveries_all, {d: 0})
        client.zadd(keys.deliveries_by_webhook("wh_" + d.rpartition("_")[2]), {d: 0})
    client.zadd(keys.events_all, {"evt_e1": 0, "evt_e2": 0, "evt_gone": 0})
    # When the batch is acknowledged with them
    acked = _ACKNOWLEDGE.run(client, keys.p, keys.history, GROUP, 1, *ids, 2, done, replayed, 3, "evt_e1", "evt_e2",
                             "evt_gone")  # fmt: skip
    # Then the entry is gone with the finished ones' index entries; the ones in flight again stay listed
    assert acked == 1 and client.xlen(keys.history) == 0
    assert client.zrange(keys.deliveries_all, 0, -1) == [replayed.encode()]
    assert client.zcard(keys.deliveries_by_webhook("wh_a")) == 0
    assert client.zcard(keys.deliveries_by_webhook("wh_b")) == 1
    assert client.zrange(keys.events_all, 0, -1) == [b"evt_e2"]


def test_consumers_that_hold_nothing_and_idle_an_hour_leave_the_group(
    client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a group with a consumer holding an entry, an old archiver's that holds nothing, and this archiver's
    settings = Settings(key_prefix="t")
    keys = Keys(settings)
    archiver = Archiver(settings, client, engine=None)  # type: ignore[arg-type]  # no database needed here
    client.xgroup_create(keys.history, GROUP, id="0", mkstream=True)
    for consumer in ("a1", "old-archiver", archiver.consumer):  # each reads one entry
        client.xadd(keys.history, {"r": "x"})
        client.xreadgroup(GROUP, consumer, {keys.history: ">"}, count=1)
    for entry in client.xpending_range(keys.history, GROUP, "-", "+", 10):
        if entry["consumer"].decode() != "a1":  # the old archiver and this one acknowledged theirs
            client.xack(keys.history, GROUP, entry["message_id"])
    # When it forgets consumers idle for less than an hour, Then none goes
    assert archiver.forget_gone_consumers() == 0
    # And once they count as idle an hour, only the one holding nothing (not itself, not the holder) goes
    monkeypatch.setattr(archiver_module, "_MAINTAIN_EVERY_S", -1)
    assert archiver.forget_gone_consumers() == 1
    names = {c["name"].decode() for c in client.xinfo_consumers(keys.history, GROUP)}
    assert names == {"a1", archiver.consumer}
