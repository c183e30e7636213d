"""The archiver's acknowledgement (acknowledge.lua): stream entries leave and the metrics move in one call, on a
full Redis too (maxmemory reached, noeviction), where the archiver is what frees memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from config import Settings
from hooks.local.servers import RedisServer
from hooks.metrics.counters import archived_ops
from hooks.metrics.keys import MetricKeys
from hooks.store.keys import Keys
from hooks.store.stream import GROUP
from tests.unit.hooks.metrics.test_counters import attempt, delivery
from workers.archiver.archiver import _ACKNOWLEDGE


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
    acked = _ACKNOWLEDGE.run(client, keys.p, keys.history, GROUP, len(ids), *ids, *ops)
    # Then its entries are acknowledged and gone, and the webhook's counters hold the three deliveries
    assert acked == 3 and client.xlen(keys.history) == 0
    assert client.xpending(keys.history, GROUP)["pending"] == 0
    counters = {k.decode(): v.decode() for k, v in client.hgetall(MetricKeys(settings).webhook("wh_a")).items()}
    assert counters.get("d:delivered") == "3", counters
    assert not client.exists(f"{keys.p}:full-probe")
