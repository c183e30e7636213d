"""The fan-out's filters driven through the take script against a real Redis (no worker): the route carries the
filter, a webhook stored before routes existed is filtered from its JSON, and the event notes whom it skipped
(ids capped at 100, the count whole) without a delivery record for them."""

from __future__ import annotations

import hooks
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.integration.workers.drain.test_drain import take


def test_a_webhook_without_a_route_is_filtered_from_its_json(make_cluster):
    cluster = make_cluster()
    keys, client = Keys(cluster.settings), get_redis()
    wh = hooks.create_webhook("http://127.0.0.1:9/x", ["e"], filter={"data.n": {"$gt": 1}, "type": "e"})
    assert client.hget(keys.route("default"), wh.id).decode().startswith("1|main|")
    client.hdel(keys.route("default"), wh.id)  # as stored before route hashes existed
    skipped = hooks.publish_event("e", {"n": 1})
    sent = hooks.publish_event("e", {"n": 2})

    take(cluster.settings, "t1")

    assert client.hget(keys.event(skipped), "filtered") == wh.id.encode()
    assert client.zcard(keys.deliveries_by_event(skipped)) == 0
    assert client.zcard(keys.deliveries_by_event(sent)) == 1 and client.hget(keys.event(sent), "filtered") is None


def test_the_event_keeps_100_ids_and_the_whole_count(make_cluster):
    cluster = make_cluster()
    keys, client = Keys(cluster.settings), get_redis()
    made = [hooks.create_webhook(f"http://127.0.0.1:9/{i}", ["e"], filter={"data.locale": "fr"}) for i in range(130)]
    event_id = hooks.publish_event("e", {"locale": "en"})

    assert take(cluster.settings, "t1") == [b"fanned"]  # fanned out, nothing to deliver

    ids = client.hget(keys.event(event_id), "filtered").decode().split(",")
    assert len(ids) == 100 and set(ids) <= {w.id for w in made}
    assert client.hget(keys.event(event_id), "filtered_count") == b"130"
    assert client.exists(keys.delivery(f"msg_{event_id[4:]}_{made[0].id[3:]}")) == 0
