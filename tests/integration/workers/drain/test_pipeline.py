"""publish_event -> fan-out in the take script -> signed POST, with a real redis-server, Celery worker and receiver."""

from __future__ import annotations

import base64
import json

import pytest
from standardwebhooks.webhooks import Webhook as StandardVerifier

import hooks
from tests.conftest import wait_for
from workers.legacy import requeue

pytestmark = pytest.mark.usefixtures("worker")


def _arrived(receiver, path, n=1, timeout_s=20.0):
    return wait_for(lambda: len(receiver.requests_to(path)) >= n and receiver.requests_to(path), timeout_s,
                    what=f"{n} request(s) at {path}")  # fmt: skip


def test_an_event_arrives_signed_and_any_standard_webhooks_verifier_accepts_it(settings, receiver):
    wh = hooks.create_webhook(receiver.url + "/hook", ["content_types.entries.publish"], stack="blog")
    event_id = hooks.publish_event("content_types.entries.publish", {"entry": {"uid": "e1"}}, stack="blog")

    (req,) = _arrived(receiver, "/hook")
    body = json.loads(req.body)
    assert body["id"] == event_id and body["type"] == "content_types.entries.publish"
    assert body["stack"] == "blog" and body["branch"] == "main" and body["data"] == {"entry": {"uid": "e1"}}
    assert body["timestamp"].endswith("Z")
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["User-Agent"].startswith("hooks-webhooks/")
    assert req.headers["webhook-id"] == f"msg_{event_id[4:]}_{wh.id[3:]}"
    assert StandardVerifier(wh.secret).verify(req.body, req.headers) == body


def test_a_wrong_secret_fails_verification(settings, receiver):
    hooks.create_webhook(receiver.url + "/hook", ["a.b"])
    hooks.publish_event("a.b", {})
    (req,) = _arrived(receiver, "/hook")
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(Exception, match="(?i)signature"):
        StandardVerifier(other).verify(req.body, req.headers)


def test_wildcards_stack_and_branch_decide_who_hears_an_event(settings, receiver):
    hooks.create_webhook(receiver.url + "/hash", ["content_types.#"], stack="blog")
    hooks.create_webhook(receiver.url + "/star", ["content_types.*.publish"], stack="blog")
    hooks.create_webhook(receiver.url + "/star-miss", ["content_types.*"], stack="blog")
    hooks.create_webhook(receiver.url + "/other-stack", ["#"], stack="shop")
    hooks.create_webhook(receiver.url + "/other-branch", ["#"], stack="blog", branches=["dev"])
    hooks.create_webhook(receiver.url + "/all-branches", ["#"], stack="blog", branches=["*"])
    hooks.create_webhook(receiver.url + "/disabled", ["#"], stack="blog", enabled=False)
    marker = hooks.create_webhook(receiver.url + "/marker", ["done"], stack="blog")

    hooks.publish_event("content_types.entries.publish", {}, stack="blog", branch="main")
    hooks.publish_event("done", {}, stack="blog")
    _arrived(receiver, "/marker")
    wait_for(lambda: len(receiver.requests_to("/all-branches")) == 2, what="the catch-all to get both")

    assert len(receiver.requests_to("/hash")) == 1
    assert len(receiver.requests_to("/star")) == 1
    for path in ("/star-miss", "/other-stack", "/other-branch", "/disabled"):
        assert receiver.requests_to(path) == [], path
    assert marker.enabled


def test_a_webhook_matching_by_several_patterns_and_channels_gets_the_event_once(settings, receiver):
    hooks.create_webhook(receiver.url + "/once", ["content_types.#", "content_types.blog.entries.publish", "#"])
    event_id = hooks.publish_event("content_types.entries.publish", {}, channels=["content_types.blog.entries.publish"])
    _arrived(receiver, "/once")
    deliveries = wait_for(lambda: hooks.list_deliveries(event_id=event_id, status="delivered"))
    assert len(deliveries) == 1 and len(receiver.requests_to("/once")) == 1


def test_a_uid_specific_channel_reaches_a_webhook_subscribed_only_to_it(settings, receiver):
    hooks.create_webhook(receiver.url + "/uid", ["content_types.blog.entries.publish"])
    hooks.publish_event("content_types.entries.publish", {"x": 1}, channels=["content_types.blog.entries.publish"])
    (req,) = _arrived(receiver, "/uid")
    assert json.loads(req.body)["type"] == "content_types.entries.publish"


def test_a_concise_webhook_receives_the_summary(settings, receiver):
    hooks.create_webhook(receiver.url + "/full", ["e"])
    hooks.create_webhook(receiver.url + "/concise", ["e"], concise=True)
    hooks.create_webhook(receiver.url + "/given", ["f"], concise=True)
    hooks.publish_event("e", {"uid": "u1", "title": "T", "_version": 3, "entry": {"big": "x" * 100}})
    hooks.publish_event("f", {"entry": {}}, summary={"uid": "u9"})

    assert json.loads(_arrived(receiver, "/full")[0].body)["data"]["entry"] == {"big": "x" * 100}
    assert json.loads(_arrived(receiver, "/concise")[0].body)["data"] == {"uid": "u1", "title": "T", "_version": 3}
    assert json.loads(_arrived(receiver, "/given")[0].body)["data"] == {"uid": "u9"}


def test_custom_headers_and_basic_auth_are_sent(settings, receiver):
    hooks.create_webhook(receiver.url + "/basic", ["e"], headers={"X-Tenant": "acme"},
                         auth={"type": "basic", "username": "user", "password": "p@ss:word"})  # fmt: skip
    hooks.publish_event("e", {})
    (req,) = _arrived(receiver, "/basic")
    assert req.headers["X-Tenant"] == "acme"
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"user:p@ss:word").decode()


def test_bearer_auth_is_sent(settings, receiver):
    hooks.create_webhook(receiver.url + "/bearer", ["e"], auth={"type": "bearer", "token": "tok_123"})
    hooks.publish_event("e", {})
    (req,) = _arrived(receiver, "/bearer")
    assert req.headers["Authorization"] == "Bearer tok_123"


def test_the_same_idempotency_key_returns_the_first_event_and_sends_nothing_more(settings, receiver):
    hooks.create_webhook(receiver.url + "/idem", ["e"])
    first = hooks.publish_event("e", {"n": 1}, idempotency_key="order-42")
    again = hooks.publish_event("e", {"n": 2}, idempotency_key="order-42")
    other = hooks.publish_event("e", {"n": 3}, idempotency_key="order-43")
    assert again == first and other != first
    _arrived(receiver, "/idem", 2)
    hooks.publish_event("done", {})  # a marker through the same queue: nothing else is on its way
    assert sorted(json.loads(r.body)["data"]["n"] for r in receiver.requests_to("/idem")) == [1, 3]


def test_publish_events_publishes_many_in_one_call(settings, receiver):
    hooks.create_webhook(receiver.url + "/batch", ["e.#"])
    ids = hooks.publish_events([{"event_type": f"e.n{i}", "data": {"i": i}} for i in range(50)])
    assert len(set(ids)) == 50 and ids == sorted(ids)
    _arrived(receiver, "/batch", 50)


def test_a_fan_out_that_runs_twice_creates_no_second_delivery(settings, receiver):
    hooks.create_webhook(receiver.url + "/twice", ["e"])
    event_id = hooks.publish_event("e", {})
    _arrived(receiver, "/twice")
    requeue("event", event_id)  # fanned out again, as an old fan_out message or a killed worker's re-run would
    hooks.create_webhook(receiver.url + "/marker", ["marker"])
    hooks.publish_event("marker", {})
    _arrived(receiver, "/marker")  # the drains have been through the fan-out list since
    assert len(hooks.list_deliveries(event_id=event_id)) == 1
    assert len(receiver.requests_to("/twice")) == 1


def test_every_attempt_is_logged_with_its_result(settings, receiver):
    wh = hooks.create_webhook(receiver.url + "/log", ["e"])
    receiver.script("/log", [(200, 0, {})])
    event_id = hooks.publish_event("e", {})
    _arrived(receiver, "/log")
    (d,) = wait_for(lambda: hooks.list_deliveries(webhook_id=wh.id, status="delivered"))
    full = hooks.get_delivery(d.id)
    (attempt,) = full.attempt_log
    assert attempt["delivery_id"] == d.id and attempt["event_id"] == event_id and attempt["webhook_id"] == wh.id
    assert attempt["attempt"] == 1 and attempt["status_code"] == 200 and attempt["duration_ms"] >= 0
    assert attempt["response"] == "ok" and attempt["request_headers"]["webhook-signature"] == "[redacted]"
