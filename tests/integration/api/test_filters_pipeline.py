"""Payload filters end to end: webhooks made through /v1 with a filter, events published through /v1 and fanned
out by the real worker; only matching events reach the filtered receiver, and each event says whom it skipped."""

from __future__ import annotations

import pytest

import hooks
from hooks.settings import get_settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.conftest import wait_for
from tests.integration.api.test_dashboard_session import login, token

pytestmark = pytest.mark.usefixtures("worker")

EN = {"data.entry.locale": {"$in": ["en-us", "en-gb"]}, "data.entry.version": {"$gte": 2}}


def _publish(api, locale: str, version: int) -> str:
    r = api.post("/v1/events", json={"event_type": "entries.publish", "stack": "blog",
                                     "data": {"entry": {"locale": locale, "version": version}}})  # fmt: skip
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def _finished(api, event_id: str) -> dict:
    return wait_for(lambda: (e := api.get(f"/v1/events/{event_id}").json())["state"] == "finished" and e,
                    what=f"{event_id} finished")  # fmt: skip


def test_only_matching_events_reach_the_filtered_webhook_and_the_event_names_the_one_it_skipped(api, receiver):
    # Given two webhooks on one event type, one of them with a payload filter
    everything = api.post("/v1/webhooks", json={"url": receiver.url + "/all", "events": ["entries.publish"],
                                                "stack": "blog"}).json()  # fmt: skip
    r = api.post("/v1/webhooks", json={"url": receiver.url + "/en", "events": ["entries.publish"], "stack": "blog",
                                       "filter": EN})  # fmt: skip
    assert r.status_code == 201, r.text
    english = r.json()
    assert english["filter"] == {"data.entry.locale": {"$in": ["en-us", "en-gb"]}, "data.entry.version": {"$gte": 2}}

    # When matching and non-matching events are published
    sent = {_publish(api, "en-us", 2): True, _publish(api, "fr-fr", 2): False, _publish(api, "en-gb", 7): True,
            _publish(api, "en-us", 1): False, _publish(api, "en-gb", 2.5): True}  # fmt: skip

    # Then every event reaches the unfiltered webhook, only the matching ones the filtered one
    wait_for(lambda: len(receiver.requests_to("/all")) == len(sent), what="every event at /all")
    events = {event_id: _finished(api, event_id) for event_id in sent}
    got = sorted(r.headers["webhook-id"] for r in receiver.requests_to("/en"))
    assert got == sorted(f"msg_{e[4:]}_{english['id'][3:]}" for e, ok in sent.items() if ok)
    for event_id, ok in sent.items():
        event = events[event_id]
        assert sorted(d["webhook_id"] for d in event["deliveries"]) == sorted(
            [everything["id"], *([english["id"]] if ok else [])]
        )
        assert event["filtered_out"] == ([] if ok else [english["id"]]), event_id
        assert event["filtered_count"] == (0 if ok else 1)

    # And once the event has left Redis, the history still says whom it skipped
    skipped = next(e for e, ok in sent.items() if not ok)
    settings = get_settings()
    get_redis(settings).delete(Keys(settings).event(skipped))
    archived = wait_for(lambda: (r := api.get(f"/v1/events/{skipped}")).status_code == 200 and r.json(),
                        what="the event read from the history")  # fmt: skip
    assert archived["filtered_out"] == [english["id"]] and archived["filtered_count"] == 1


def test_a_filter_can_be_changed_and_removed_and_every_webhook_skipped_finishes_the_event(api, receiver):
    wh = hooks.create_webhook(receiver.url + "/only", ["entries.publish"], stack="blog", filter={"data.n": 1})
    skipped = _publish_n(api, 2)
    event = _finished(api, skipped)  # no delivery at all: the event finishes at once
    assert event["deliveries"] == [] and event["filtered_out"] == [wh.id]

    r = api.patch(f"/v1/webhooks/{wh.id}", json={"filter": {"data.n": {"$gt": 1}}})
    assert r.status_code == 200 and r.json()["filter"] == {"data.n": {"$gt": 1}}
    now_sent = _publish_n(api, 2)
    wait_for(lambda: len(receiver.requests_to("/only")) == 1, what="the event the new filter passes")

    assert api.patch(f"/v1/webhooks/{wh.id}", json={"filter": None}).json()["filter"] is None
    _publish_n(api, 0)
    wait_for(lambda: len(receiver.requests_to("/only")) == 2, what="any event, once the filter is gone")
    assert _finished(api, now_sent)["filtered_out"] == []


def _publish_n(api, n: int) -> str:
    r = api.post("/v1/events", json={"event_type": "entries.publish", "stack": "blog", "data": {"n": n}})
    return str(r.json()["id"])


def test_a_bad_filter_is_a_422_naming_the_field_and_the_path(api, receiver):
    r = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"], "filter": {"data.x": {"$in": "en"}}})
    assert r.status_code == 422
    assert r.json()["field"] == "filter"
    assert r.json()["detail"] == "filter: data.x: $in needs a list of values."
    made = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"]}).json()
    r = api.patch(f"/v1/webhooks/{made['id']}", json={"filter": {"data.x": {"$gt": "5"}}})
    assert r.status_code == 422 and r.json()["detail"] == "filter: data.x: $gt needs a number."


def test_the_dashboard_edits_the_filter_and_the_event_page_lists_whom_it_skipped(api, write_key, receiver):
    wh = hooks.create_webhook(receiver.url + "/d", ["entries.publish"], stack="blog", filter={"data.n": 1})
    login(api, write_key)
    assert '<code>{"data.n": {"$eq": 1}}</code>' in api.get(f"/ui/webhooks/{wh.id}").text
    form = api.get(f"/ui/webhooks/{wh.id}/edit").text
    assert 'name="filter"' in form and "&#34;$eq&#34;: 1" in form
    fields = {"csrf": token(form), "url": wh.url, "events": "entries.publish", "branches": "main",
              "retry_policy": "auto"}  # fmt: skip
    bad = api.post(f"/ui/webhooks/{wh.id}/edit", data={**fields, "filter": '{"data.n": {"$in": 3}}'})
    assert bad.status_code == 422 and "not saved: filter: data.n: $in needs a list of values." in bad.text
    assert hooks.get_webhook(wh.id).filter == {"data.n": {"$eq": 1}}
    api.post(f"/ui/webhooks/{wh.id}/edit", data={**fields, "filter": '{"data.n": {"$gte": 5}}'})
    assert hooks.get_webhook(wh.id).filter == {"data.n": {"$gte": 5}}

    skipped = _publish_n(api, 2)
    _finished(api, skipped)
    page = api.get(f"/ui/events/{skipped}").text
    assert 'id="filtered-out"' in page and f'href="/ui/webhooks/{wh.id}"' in page

    api.post(f"/ui/webhooks/{wh.id}/edit", data={**fields, "filter": ""})
    assert hooks.get_webhook(wh.id).filter is None
