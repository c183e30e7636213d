"""`/v1/events`, `/v1/deliveries` and `/v1/dlq` with a real worker and archiver: publish, follow, retry, replay."""

from __future__ import annotations

import time

from hooks.history.records import event_at_s
from tests.conftest import wait_for


def _webhook(api, url, **fields):
    return api.post("/v1/webhooks", json={"url": url, "events": ["api.#"], **fields}).json()


def _finished(api, **params):
    items = api.get("/v1/deliveries", params=params).json()["items"]
    return items if items and all(d["status"] != "pending" for d in items) else None


def test_publish_with_an_idempotency_key_returns_the_first_id(api, receiver, worker):
    _webhook(api, receiver.url + "/e")
    first = api.post("/v1/events", json={"event_type": "api.created", "data": {"n": 1}},
                     headers={"Idempotency-Key": "k-1"})  # fmt: skip
    again = api.post("/v1/events", json={"event_type": "api.created", "data": {"n": 1}},
                     headers={"Idempotency-Key": "k-1"})  # fmt: skip
    assert first.status_code == 202 and first.json() == again.json()
    wait_for(lambda: receiver.requests_to("/e"), what="the delivery")
    time.sleep(0.3)
    assert len(receiver.requests_to("/e")) == 1


def test_a_bad_event_is_refused_with_the_librarys_sentence(api):
    r = api.post("/v1/events", json={"event_type": "Not Valid", "data": {}})
    assert r.status_code == 422 and r.json()["field"] == "event_type"
    assert r.json()["detail"].startswith("event_type: must be dot-separated segments")
    r = api.post("/v1/events", json={"event_type": "a.b", "data": [1]})
    assert r.status_code == 422 and r.json()["field"] == "data"


def test_an_event_shows_its_deliveries_and_a_delivery_its_attempts(api, receiver, worker):
    wh = _webhook(api, receiver.url + "/s")
    event_id = api.post("/v1/events", json={"event_type": "api.shown", "data": {"title": "x"}}).json()["id"]
    (d,) = wait_for(lambda: _finished(api, event_id=event_id), what="the delivery to finish")
    event = api.get(f"/v1/events/{event_id}").json()
    assert (event["type"], event["body"]["data"]) == ("api.shown", {"title": "x"})
    assert [x["id"] for x in event["deliveries"]] == [d["id"]]
    shown = api.get(f"/v1/deliveries/{d['id']}").json()
    assert shown["status"] == "delivered" and shown["webhook_id"] == wh["id"]
    (attempt,) = shown["attempt_log"]
    assert attempt["status_code"] == 204 and attempt["duration_ms"] >= 0
    assert attempt["request_headers"]["webhook-signature"] == "[redacted]"
    assert [e["id"] for e in api.get("/v1/events").json()["items"]] == [event_id]


def test_deliveries_filter_by_webhook_status_and_the_events_time(api, receiver, worker):
    wh = _webhook(api, receiver.url + "/f")
    ids = [api.post("/v1/events", json={"event_type": "api.f", "data": {"i": i}}).json()["id"] for i in range(3)]
    wait_for(lambda: (found := _finished(api, webhook_id=wh["id"])) and len(found) == 3, what="3 deliveries")
    listed = api.get("/v1/deliveries", params={"webhook_id": wh["id"], "status": "delivered", "limit": 2}).json()
    assert [d["event_id"] for d in listed["items"]] == ids[::-1][:2] and listed["next_cursor"]
    rest = api.get("/v1/deliveries", params={"webhook_id": wh["id"], "cursor": listed["next_cursor"]}).json()
    assert [d["event_id"] for d in rest["items"]] == ids[:1] and rest["next_cursor"] is None
    middle = event_at_s(ids[1])
    assert [d["event_id"] for d in api.get("/v1/deliveries", params={"webhook_id": wh["id"], "since": str(middle)})
            .json()["items"]] == ids[:0:-1]  # fmt: skip
    assert [d["event_id"] for d in api.get("/v1/deliveries", params={"webhook_id": wh["id"], "until": str(middle)})
            .json()["items"]] == ids[:1]  # fmt: skip
    assert api.get("/v1/deliveries", params={"status": "lost"}).json()["field"] == "status"


def test_the_dlq_lists_replays_and_purges(api, receiver, worker, scheduler):
    receiver.script("/dead", [(500, 0.0, {})])
    wh = _webhook(api, receiver.url + "/dead", retry_policy="manual")
    for i in range(3):
        api.post("/v1/events", json={"event_type": "api.d", "data": {"i": i}})
    dead = wait_for(lambda: len(items := api.get("/v1/dlq").json()["items"]) == 3 and items, what="3 dead letters")
    assert api.get(f"/v1/dlq/{dead[0]['id']}").json()["attempt_log"][0]["status_code"] == 500
    receiver.script("/dead", [(204, 0.0, {})])
    replayed = api.post(f"/v1/dlq/{dead[0]['id']}/replay").json()
    assert replayed["status"] in ("pending", "delivered") and replayed["replays"] == 1
    assert api.post(f"/v1/dlq/{dead[1]['id']}/purge").json()["reason"] == "purged"
    assert api.post("/v1/dlq/replay", json={"webhook_id": wh["id"], "all": True}).status_code == 422
    assert api.post("/v1/dlq/replay", json={"webhook_id": wh["id"], "since": "1h"}).json() == {"replayed": 1}
    wait_for(lambda: len(receiver.requests_to("/dead")) == 5, what="the two replays to arrive")
    assert api.get("/v1/dlq").json()["items"] == []


def test_retry_sends_a_delivered_delivery_again(api, receiver, worker):
    _webhook(api, receiver.url + "/r")
    event_id = api.post("/v1/events", json={"event_type": "api.r", "data": {}}).json()["id"]
    (d,) = wait_for(lambda: _finished(api, event_id=event_id), what="the delivery")
    assert api.post(f"/v1/deliveries/{d['id']}/retry").status_code == 200
    wait_for(lambda: len(receiver.requests_to("/r")) == 2, what="the retry to arrive")
    assert receiver.ids_at("/r")[0] == receiver.ids_at("/r")[1] == d["id"]
