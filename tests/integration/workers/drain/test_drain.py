"""The drains' rules, driven directly against a real Redis (no worker runs in these private databases):
round-robin between webhooks, lanes per webhook, the breaker at take time, leases that come back, big fan-outs
split across calls, hand-over at the end of a slice."""

from __future__ import annotations

import json
import time

import pytest

import hooks
from hooks.registry.index import write
from hooks.store.connection import get_redis
from hooks.store.keys import DELIVERIES_QUEUE, Keys
from hooks.store.kick import kick_options
from workers.attempt.record import Record
from workers.breaker import breaker
from workers.drain import drain
from workers.drain.batch import Settled
from workers.scheduler.schedule import move_due


def take(settings, token: str, *, now: float | None = None, mode: str = "take") -> list:
    """One call of the take script, as a drain makes it (with no previous batch to settle)."""
    settled = Settled()
    return drain._TAKE.run_named(
        get_redis(), drain.take_options(settings, token, mode, settled, now=now), *settled.tail()
    )


def taken_ids(reply: list) -> list[str]:
    assert reply[0] == b"deliver", reply
    return [d.decode() for d in reply[4]]


def test_a_queued_drains_registration_comes_down_to_the_running_lease_at_its_first_take(make_cluster):
    # kick() registers a queued drain task for the queued lease (visibility timeout + lease); once it runs, a worker
    # killed under it must free its place among MAX_DRAINS a lease after its last take, not a queued lease after
    cluster = make_cluster()
    settings, keys, client = cluster.settings, Keys(cluster.settings), get_redis()
    now = time.time()
    queued_lease = kick_options(settings, now)["queued_lease"]
    assert queued_lease > settings.lease_s + 1
    client.zadd(keys.drains, {"drain.q": now + queued_lease})

    take(settings, "drain.q", now=now + 1)
    assert client.zscore(keys.drains, "drain.q") == pytest.approx(now + 1 + settings.lease_s, abs=0.01)

    take(settings, "drain.q", now=now + 1.5)  # within a second of the lease: left alone (no ZADD every turn)
    assert client.zscore(keys.drains, "drain.q") == pytest.approx(now + 1 + settings.lease_s, abs=0.01)


def test_webhooks_with_ready_work_are_served_in_turn(make_cluster):
    cluster = make_cluster(HOOKS_DRAIN_BATCH="5")
    busy = hooks.create_webhook("http://127.0.0.1:9/busy", ["a"])
    quiet = hooks.create_webhook("http://127.0.0.1:9/quiet", ["b"])
    hooks.publish_events([{"event_type": "a", "data": {"i": i}} for i in range(30)])
    hooks.publish_events([{"event_type": "b", "data": {"i": i}} for i in range(10)])
    order = []
    for n in range(4):
        reply = take(cluster.settings, f"t{n}")
        order.append(reply[1].decode())
        get_redis().zrem(Keys(cluster.settings).inflight(reply[1].decode()), f"t{n}")  # as if the batch was sent
    assert order == [busy.id, quiet.id, busy.id, quiet.id]


def test_a_webhook_has_one_lane_until_a_success_then_its_cap_and_one_again_while_failing(make_cluster):
    cluster = make_cluster(HOOKS_MAX_IN_FLIGHT_PER_WEBHOOK="2", HOOKS_DRAIN_BATCH="3")
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"])
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(20)])
    keys, client = Keys(cluster.settings), get_redis()

    def call(token: str, mode: str, settled: Settled) -> list:
        options = drain.take_options(cluster.settings, token, mode, settled, cap=2, batch=3, retention=86400,
                                     finished_ttl=10)  # fmt: skip
        return drain._TAKE.run_named(client, options, *settled.tail())

    first = taken_ids(take(cluster.settings, "a"))
    assert len(first) == 1  # slow start: a new endpoint gets a batch of one ...
    assert take(cluster.settings, "b")[0] == b"idle"  # ... and one lane
    success = Settled(wh.id, [Record(first[0], {"status": "delivered"})], ended_ok=True)
    assert len(taken_ids(call("a", "take", success))) == 3  # it answered: whole batches now
    assert client.hget(keys.webhook_state(wh.id), "proven") == b"1"
    assert len(taken_ids(take(cluster.settings, "b"))) == 3  # and its second lane
    assert take(cluster.settings, "c")[0] == b"idle"  # two lanes busy: the third drain gets nothing
    assert client.zscore(keys.capped, wh.id) is not None  # ... and no take looks at it until a lane is free
    client.hset(keys.webhook_state(wh.id), "failures", 1)
    for token in ("a", "b"):  # both batches end (as if sent, nothing recorded): lanes released
        assert call(token, "end", Settled(wh.id)) == [b"ended"]
    assert client.zscore(keys.capped, wh.id) is None
    assert len(taken_ids(take(cluster.settings, "a"))) == 3
    assert take(cluster.settings, "b")[0] == b"idle"  # failing: one lane only


def test_a_capped_webhook_comes_back_when_its_lane_runs_out(make_cluster):
    cluster = make_cluster(HOOKS_DRAIN_BATCH="1")
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"])
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(3)])
    keys, client = Keys(cluster.settings), get_redis()
    lost = taken_ids(take(cluster.settings, "died"))  # its drain dies holding the only lane
    assert take(cluster.settings, "b")[0] == b"idle"
    assert client.zscore(keys.capped, wh.id) is not None and client.zscore(keys.ready, wh.id) is None
    hooks.publish_event("e", {"i": 3})
    take(cluster.settings, "c")
    assert client.zscore(keys.ready, wh.id) is None  # new work does not bring a capped webhook back
    later = time.time() + cluster.settings.lease_s + 1
    assert drain.recover(client, cluster.settings, now_s=later) == 1
    assert client.zscore(keys.capped, wh.id) is None and client.zscore(keys.ready, wh.id) is not None
    assert [m.decode() for m in client.lrange(keys.ready_list(wh.id), 0, -1)][:1] == lost  # in order, and
    assert client.llen(keys.ready_list(wh.id)) == 4  # nothing lost


def test_an_open_breaker_parks_deliveries_and_then_sends_one_probe(make_cluster):
    cluster = make_cluster()
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"])
    keys, client = Keys(cluster.settings), get_redis()
    client.hset(keys.webhook_state(wh.id), mapping={"failures": 10, "open_until": time.time() + 60})
    ids = [hooks.publish_event("e", {"i": i}) for i in range(3)]
    assert take(cluster.settings, "a")[0] == b"fanned"  # fanned out, then parked: nothing to send
    parked = [m.decode() for m in client.zrange(keys.waiting(wh.id), 0, -1)]
    assert [p.split("_")[1] for p in parked] == [i.removeprefix("evt_") for i in ids]  # oldest first
    assert hooks.get_delivery(parked[0]).attempts == 0
    assert client.hget(keys.delivery(parked[0]), "reason") == b"breaker_open"

    client.hset(keys.webhook_state(wh.id), "open_until", time.time() - 1)  # the cool-down is over
    client.zadd(keys.breakers, {wh.id: time.time() - 1})
    assert breaker.release_probes(client, cluster.settings) == 1  # the oldest waiting one goes as the probe
    assert move_due(client, cluster.settings) == 1
    assert taken_ids(take(cluster.settings, "a")) == parked[:1]
    hooks.publish_event("e", {"i": 3})
    assert take(cluster.settings, "b")[0] == b"fanned"  # while the probe is out, a new delivery is parked
    assert client.zcard(keys.waiting(wh.id)) == 3


def test_deliveries_of_a_drain_that_died_come_back_in_order(make_cluster):
    cluster = make_cluster(HOOKS_DRAIN_BATCH="3")
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"])
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(5)])
    keys, client = Keys(cluster.settings), get_redis()
    client.hset(keys.webhook_state(wh.id), "proven", 1)  # it has answered before: whole batches
    first = taken_ids(take(cluster.settings, "dead-drain"))
    assert len(first) == 3
    assert drain.recover(client, cluster.settings) == 0  # the lease still runs
    later = time.time() + cluster.settings.lease_s + 1
    assert drain.recover(client, cluster.settings, now_s=later) == 3
    assert [m.decode() for m in client.lrange(keys.ready_list(wh.id), 0, 2)] == first
    assert client.zcard(keys.leased) == 0
    assert client.llen(DELIVERIES_QUEUE) >= 1  # a drain was kicked for them


@pytest.mark.parametrize("capped", [True, False], ids=["capped", "in-turn"])
def test_an_ordered_webhook_whose_drain_died_sends_nothing_later_before_recover_puts_its_delivery_back(
        make_cluster, capped):  # fmt: skip
    cluster = make_cluster(HOOKS_DRAIN_BATCH="1")
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"], ordered=True)
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(3)])
    keys, client, now = Keys(cluster.settings), get_redis(), time.time()
    d1 = taken_ids(take(cluster.settings, "died", now=now))  # lane and lease until now + lease, then it dies
    rest = [m.decode() for m in client.lrange(keys.ready_list(wh.id), 0, -1)]
    if capped:  # another drain saw its one lane full: it waits in {p}:capped until the lane's expiry
        assert take(cluster.settings, "b", now=now)[0] == b"idle"
        assert client.zscore(keys.capped, wh.id) == now + cluster.settings.lease_s
    later = now + cluster.settings.lease_s + 1  # lane and lease ran out together
    assert take(cluster.settings, "c", now=later)[0] == b"idle"  # not d2 while d1 is only in {p}:leased
    assert client.zscore(keys.leased, d1[0]) is not None and client.lrange(keys.ready_list(wh.id), 0, -1) == [
        r.encode() for r in rest]  # fmt: skip
    assert drain.recover(client, cluster.settings, now_s=later) == 1
    assert taken_ids(take(cluster.settings, "d", now=later)) == d1  # it goes first, then the rest in order


def test_a_fan_out_bigger_than_one_call_goes_on_over_several_without_duplicates(make_cluster):
    cluster = make_cluster(HOOKS_DRAIN_BATCH="1")
    keys, client = Keys(cluster.settings), get_redis()
    n = drain.FANOUT_BUDGET * 2 + 500
    webhooks = [hooks.Webhook(url=f"http://127.0.0.1:9/{i}", events=["e"]) for i in range(n)]
    with client.pipeline(transaction=False) as pipe:
        for wh in webhooks:
            write(pipe, keys, wh, old=None)
        pipe.execute()
    event_id = hooks.publish_event("e", {})
    calls = 0
    while client.llen(keys.fanout) and calls < 10:
        take(cluster.settings, f"t{calls}")
        calls += 1
    assert calls == 3
    assert client.zcard(keys.deliveries_by_event(event_id)) == n
    assert client.zcard(keys.ready) + calls == n  # every webhook has its one delivery ready, or it was taken


def test_a_drain_at_the_end_of_its_slice_hands_over_to_a_fresh_task(make_cluster, receiver):
    cluster = make_cluster(HOOKS_DRAIN_SLICE_S="0.3", HOOKS_DRAIN_BATCH="2", HOOKS_DRAIN_LINGER_S="0")
    receiver.script("/slow", [(204, 0.05, {})] * 100)
    hooks.create_webhook(receiver.url + "/slow", ["e"])
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(40)])
    keys, client = Keys(cluster.settings), get_redis()
    client.delete(DELIVERIES_QUEUE, keys.drains)  # forget the drains the publish kicked
    summary = drain.drain("drain.test", cluster.settings, client)
    assert "delivered" in summary
    assert 0 < len(receiver.requests_to("/slow")) < 40
    assert client.zscore(keys.drains, "drain.test") is None
    messages = [json.loads(m) for m in client.lrange(DELIVERIES_QUEUE, 0, -1)]
    assert messages and {m["headers"]["task"] for m in messages} == {"workers.tasks.drain"}  # fresh ones take over


def test_an_idle_drain_lingers_then_ends_and_gives_its_place_back(make_cluster):
    cluster = make_cluster(HOOKS_DRAIN_LINGER_S="0.2")
    keys, client = Keys(cluster.settings), get_redis()
    client.zadd(keys.drains, {"drain.idle": time.time() + 60})
    assert drain.drain("drain.idle", cluster.settings, client) == "nothing to do"
    assert client.zcard(keys.drains) == 0 and client.zcard(keys.drains_idle) == 0
