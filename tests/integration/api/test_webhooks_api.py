"""`/v1/webhooks` through the app's own client: the same rules and messages as hooks.registry, secrets once."""

from __future__ import annotations

import json

from hooks.signing.verify import verify


def test_create_shows_the_secret_once_then_masks_it(api, receiver):
    r = api.post("/v1/webhooks", json={"url": receiver.url + "/a", "events": ["content_types.#"], "stack": "blog"})
    assert r.status_code == 201
    made = r.json()
    assert made["secret"].startswith("whsec_") and r.headers["location"] == f"/v1/webhooks/{made['id']}"
    shown = api.get(f"/v1/webhooks/{made['id']}").json()
    assert shown["secret"] != made["secret"] and "…" in shown["secret"]
    assert shown["health"]["state"] == "closed"


def test_an_unknown_field_or_a_bad_pattern_is_a_422_naming_it(api, receiver):
    r = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a.b"], "colour": "red"})
    assert r.status_code == 422 and r.json()["field"] == "colour"
    r = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a..b"]})
    assert r.status_code == 422 and r.json()["field"] == "events"
    assert r.json()["detail"].startswith("events: 'a..b' is not a valid pattern")


def test_list_pages_by_cursor_and_filters(api, receiver):
    ids = [api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"], "stack": "s1" if i % 2 else "s2"})
           .json()["id"] for i in range(7)]  # fmt: skip
    seen, cursor = [], None
    while True:
        page = api.get("/v1/webhooks", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [w["id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert [w["id"] for w in api.get("/v1/webhooks", params={"stack": "s1"}).json()["items"]] == ids[1::2]
    api.post(f"/v1/webhooks/{ids[0]}/disable", json={"reason": "maintenance"})
    assert [w["id"] for w in api.get("/v1/webhooks", params={"enabled": "false"}).json()["items"]] == ids[:1]


def test_update_enable_disable_rotate_and_delete(api, receiver):
    wh = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"]}).json()
    assert api.patch(f"/v1/webhooks/{wh['id']}", json={"name": "renamed"}).json()["name"] == "renamed"
    assert api.patch(f"/v1/webhooks/{wh['id']}", json={}).status_code == 422
    assert api.post(f"/v1/webhooks/{wh['id']}/disable").json()["enabled"] is False
    assert api.post(f"/v1/webhooks/{wh['id']}/enable").json()["enabled"] is True
    rotated = api.post(f"/v1/webhooks/{wh['id']}/rotate-secret", json={"grace_s": 60}).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != wh["secret"]
    assert api.delete(f"/v1/webhooks/{wh['id']}").status_code == 204
    gone = api.get(f"/v1/webhooks/{wh['id']}")
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"


def test_a_test_event_is_signed_sent_now_and_its_attempt_returned(api, receiver, worker):
    receiver.script("/t", [(200, 0.0, {})])
    wh = api.post("/v1/webhooks", json={"url": receiver.url + "/t", "events": ["a"], "headers": {"X-Tenant": "acme"}}
                  ).json()  # fmt: skip
    got = api.post(f"/v1/webhooks/{wh['id']}/test").json()
    assert got["ok"] is True and got["status_code"] == 200 and got["response"] == "ok"
    assert got["duration_ms"] > 0 and got["request_headers"]["webhook-signature"] == "[redacted]"
    (request,) = receiver.requests_to("/t")
    assert request.headers["X-Tenant"] == "acme"
    verify(wh["secret"], request.headers, request.body)  # raises if the signature is wrong
    assert json.loads(request.body)["type"] == "hooks.test"


def test_a_test_event_to_a_dead_endpoint_returns_the_error(api, worker):
    from hooks.local.servers import free_port

    wh = api.post("/v1/webhooks", json={"url": f"http://127.0.0.1:{free_port()}/x", "events": ["a"]}).json()
    got = api.post(f"/v1/webhooks/{wh['id']}/test").json()
    assert got["ok"] is False and got["status_code"] is None and got["error"] == "connection_refused"


def test_stats_of_a_new_webhook_are_empty_windows(api, receiver):
    wh = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["a"]}).json()
    stats = api.get(f"/v1/webhooks/{wh['id']}/stats").json()
    assert stats["windows"]["1h"]["deliveries"] == 0 and stats["windows"]["24h"]["success_rate"] is None
    assert stats["breaker"]["state"] == "closed" and stats["backlog"]["in_flight"] == 0


def test_the_answers_that_show_a_secret_are_not_stored_by_any_cache(api, receiver):
    r = api.post("/v1/webhooks", json={"url": receiver.url + "/a", "events": ["a.#"]})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    rotated = api.post(f"/v1/webhooks/{r.json()['id']}/rotate-secret", json={"grace_s": 60})
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    assert "whsec_" in rotated.json()["secret"] and "no-store" not in api.get("/v1/webhooks").headers.get(
        "cache-control", "")  # fmt: skip
