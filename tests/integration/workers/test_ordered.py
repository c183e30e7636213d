"""Ordered webhooks (`ordered: true`): publish order, one request at a time, a failing delivery holds the rest."""

from __future__ import annotations

import pytest

import hooks
from hooks.deliveries.dlq import list_dead
from hooks.store.connection import get_redis
from tests.conftest import every, wait_for

FAST_RETRY = {"base_s": 0.01, "factor": 1, "jitter": 0, "max_attempts": 50}


def delivery_id(event_id: str, webhook_id: str) -> str:
    return f"msg_{event_id[4:]}_{webhook_id[3:]}"


@pytest.mark.slow
def test_an_ordered_webhook_failing_30_percent_at_random_receives_1000_events_in_publish_order(make_cluster, receiver):
    # Given an ordered webhook whose endpoint answers 500 to 30% of requests at random, and an unordered one
    cluster = make_cluster(HOOKS_SCHEDULER_POLL_S="0.01")
    cluster.worker(concurrency=8), cluster.scheduler()
    receiver.chaos["/ordered"] = 0.3
    ordered = hooks.create_webhook(receiver.url + "/ordered", ["e"], ordered=True, retry=FAST_RETRY)
    hooks.create_webhook(receiver.url + "/plain", ["e"], retry=FAST_RETRY)
    # When 1,000 events are published
    events = [hooks.publish_event("e", {"n": n}) for n in range(1000)]
    # Then every one arrives, each webhook-id first seen in publish order
    wait_for(lambda: len(set(receiver.ids_at("/ordered", status=204))) == 1000, timeout_s=240,
             interval_s=0.5, what="1,000 ordered deliveries")  # fmt: skip
    expected = [delivery_id(e, ordered.id) for e in events]
    seen = list(dict.fromkeys(receiver.ids_at("/ordered")))
    assert seen == expected
    # and a failed one held the ones behind it: the arrivals (retries included) never go back in publish order
    position = {d: i for i, d in enumerate(expected)}
    arrivals = [position[d] for d in receiver.ids_at("/ordered")]
    assert arrivals == sorted(arrivals)
    assert len(arrivals) - 1000 == len(receiver.ids_at("/ordered", status=500)) > 200  # the failures were real
    assert receiver.peak_in_flight["/ordered"] == 1  # one in flight, always
    wait_for(lambda: len(set(receiver.ids_at("/plain"))) == 1000, what="the unordered webhook's 1,000")
    assert not get_redis().hlen(f"{cluster.settings.key_prefix}:held")  # type: ignore[attr-defined]


def test_a_dead_lettered_delivery_lets_the_next_one_go(make_cluster, receiver):
    # Given an ordered webhook whose endpoint fails the first two requests, with two attempts allowed
    cluster = make_cluster()
    cluster.worker(), cluster.scheduler()
    receiver.script("/ordered", [(500, 0, {}), (500, 0, {}), (204, 0, {})])
    wh = hooks.create_webhook(receiver.url + "/ordered", ["e"], ordered=True, retry={**FAST_RETRY, "max_attempts": 2})
    # When three events are published
    events = [hooks.publish_event("e", {"n": n}) for n in range(3)]
    # Then the first is tried twice and dead-lettered, and only then do the others go, in order
    first, second, third = (delivery_id(e, wh.id) for e in events)
    wait_for(lambda: len(receiver.ids_at("/ordered")) == 4, what="four requests")
    assert receiver.ids_at("/ordered") == [first, first, second, third]
    wait_for(lambda: [d.id for d in list_dead(webhook_id=wh.id)] == [first], what="the first in the DLQ")
    delivered = every(hooks.list_deliveries, webhook_id=wh.id, status="delivered")
    assert sorted(d.id for d in delivered) == sorted([second, third])


def test_ordered_is_a_field_of_the_webhook_that_can_be_turned_off(settings):
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"], ordered=True)
    client = get_redis()
    assert hooks.get_webhook(wh.id).ordered and client.sismember(f"{settings.key_prefix}:ordered", wh.id)
    client.hset(f"{settings.key_prefix}:held", wh.id, "msg_x")
    # turning it off forgets the hold too: nothing waits for a retry any more
    assert not hooks.update_webhook(wh.id, ordered=False).ordered
    assert not client.sismember(f"{settings.key_prefix}:ordered", wh.id)
    assert not client.hexists(f"{settings.key_prefix}:held", wh.id)
    hooks.delete_webhook(hooks.create_webhook("http://127.0.0.1:9/y", ["e"], ordered=True).id)
    assert client.smembers(f"{settings.key_prefix}:ordered") == set()
