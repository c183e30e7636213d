"""Stack-scoped API keys (issue 23) on their own stack: every route works as for a global key, new objects land in
the key's stack, a read-only one still only reads, the dashboard refuses it, and the CLI makes and lists it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from hooks.api.apikeys import create_key
from hooks.api.app import create_app
from hooks.models.ids import delivery_id
from tests.conftest import wait_for
from tests.integration.api.test_cli_api_keys import hooks
from tests.integration.api.test_dashboard_session import login

A, B = "acme", "bravo"


def _client(settings, key: str) -> TestClient:
    return TestClient(create_app(settings), headers={"Authorization": f"Bearer {key}"})


def _dead(a: TestClient, n: int, replays: int | None = None) -> list[dict]:
    """The DLQ's items when it holds `n` (and the one holds `replays` replays: dead again after the last one, not
    still listed from before it)."""
    items = a.get("/v1/dlq").json()["items"]
    if replays is not None and not (items and items[0]["replays"] == replays):
        return []
    return items if len(items) == n else []


def test_a_stack_key_works_on_its_own_stack_on_every_route(settings, receiver, worker):
    receiver.script("/own", [(500, 0.0, {})])
    with _client(settings, create_key("acme's", stack=A)[1]) as a:
        made = a.post(
            "/v1/webhooks", json={"url": receiver.url + "/own", "events": ["own.#"], "retry_policy": "manual"}
        )
        assert made.status_code == 201 and made.json()["stack"] == A  # no stack given: the key's
        wh = made.json()["id"]
        assert (
            a.post("/v1/webhooks", json={"url": receiver.url + "/x", "events": ["x.y"], "stack": A}).status_code == 201
        )
        published = a.post("/v1/events", json={"event_type": "own.made", "data": {"n": 1}})
        assert published.status_code == 202
        event_id = published.json()["id"]
        assert a.get(f"/v1/events/{event_id}").json()["stack"] == A
        (dead,) = wait_for(lambda: _dead(a, 1), what="the delivery dead-lettered", timeout_s=60)
        assert dead["id"] == delivery_id(event_id, wh)
        assert [e["id"] for e in a.get("/v1/events").json()["items"]] == [event_id]
        assert [w["id"] for w in a.get("/v1/webhooks", params={"stack": A}).json()["items"]][0] == wh
        for params in ({}, {"webhook_id": wh}, {"event_id": event_id}):
            assert [d["id"] for d in a.get("/v1/deliveries", params=params).json()["items"]] == [dead["id"]]
        assert a.get("/v1/dlq", params={"webhook_id": wh}).json()["items"][0]["id"] == dead["id"]
        assert a.get(f"/v1/deliveries/{dead['id']}").json()["attempt_log"][0]["status_code"] == 500
        assert a.get(f"/v1/dlq/{dead['id']}").status_code == 200
        for action in ("disable", "enable", "rotate-secret"):
            assert a.post(f"/v1/webhooks/{wh}/{action}").status_code == 200, action
        assert a.patch(f"/v1/webhooks/{wh}", json={"name": "renamed", "stack": A}).json()["name"] == "renamed"
        assert a.get(f"/v1/webhooks/{wh}").json()["health"] is not None
        assert a.get(f"/v1/webhooks/{wh}/stats").json()["webhook_id"] == wh
        assert a.post(f"/v1/webhooks/{wh}/test").json()["status_code"] == 500  # a worker sent it
        n = a.post(f"/v1/dlq/{dead['id']}/replay").json()["replays"]
        assert n == 1
        wait_for(lambda: _dead(a, 1, replays=n), what="dead-lettered again", timeout_s=60)
        assert a.post("/v1/dlq/replay", json={"all": True}).json() == {"replayed": 1}
        wait_for(lambda: _dead(a, 1, replays=n + 1), what="dead-lettered again", timeout_s=60)
        assert a.post("/v1/dlq/replay", json={"webhook_id": wh}).json() == {"replayed": 1}
        wait_for(lambda: _dead(a, 1, replays=n + 2), what="dead-lettered again", timeout_s=60)
        assert a.post(f"/v1/dlq/{dead['id']}/purge").json()["reason"] == "purged"
        assert a.post(f"/v1/deliveries/{dead['id']}/retry").status_code == 200
        wait_for(lambda: _dead(a, 1), what="dead-lettered again", timeout_s=60)
        assert a.post("/v1/dlq/purge", json={"all": True}).json() == {"purged": 1}
        assert a.get("/v1/stats").json()["in_flight"]["webhooks"] == 2
        assert a.delete(f"/v1/webhooks/{wh}").status_code == 204


def test_a_read_only_stack_key_reads_its_stack_and_cannot_write(settings):
    with _client(settings, create_key("acme viewer", stack=A, read_only=True)[1]) as a:
        assert a.get("/v1/webhooks").json()["items"] == []
        for path, body in (
            ("/v1/webhooks", {"url": "https://example.com/h", "events": ["a.b"]}),
            ("/v1/events", {"event_type": "a.b", "data": {}}),
        ):
            r = a.post(path, json=body)
            assert r.status_code == 403 and "read-only" in r.json()["detail"], path


def test_two_stacks_idempotency_keys_never_meet(settings, write_key):
    event = {"event_type": "idem.made", "data": {}}
    with _client(settings, create_key("a", stack=A)[1]) as a, _client(settings, create_key("b", stack=B)[1]) as b:
        first = a.post("/v1/events", json=event, headers={"Idempotency-Key": "order-1"}).json()["id"]
        assert a.post("/v1/events", json=event, headers={"Idempotency-Key": "order-1"}).json()["id"] == first
        other = b.post("/v1/events", json=event, headers={"Idempotency-Key": "order-1"}).json()["id"]
        assert other != first and b.get(f"/v1/events/{other}").json()["stack"] == B


def test_a_stack_keys_listing_of_deliveries_in_flight_pages_past_other_stacks(
    settings, write_key, receiver, worker, monkeypatch
):
    monkeypatch.setattr("hooks.deliveries.query._SCAN", 2)  # a page reads at most 4 ids of the Redis index
    monkeypatch.setattr("hooks.deliveries.query._STACK_SCAN", 4)
    receiver.script("/slow", [(204, 1.0, {})])  # ordered: one at a time, the rest wait in Redis
    with _client(settings, write_key) as g, _client(settings, create_key("acme's", stack=A)[1]) as a:
        hooks_of = [
            g.post(
                "/v1/webhooks",
                json={"url": receiver.url + "/slow", "events": ["slow.#"], "stack": stack, "ordered": True},
            ).json()["id"]
            for stack in (A, B)
        ]
        mine = [g.post("/v1/events", json={"event_type": "slow.e", "data": {}, "stack": A}).json()["id"]]
        for _ in range(9):
            g.post("/v1/events", json={"event_type": "slow.e", "data": {}, "stack": B})
        mine.append(g.post("/v1/events", json={"event_type": "slow.e", "data": {}, "stack": A}).json()["id"])
        # these webhooks' (a delivery of an earlier test may reach the history after its clean-up)
        count = lambda: sum(len(g.get("/v1/deliveries", params={"webhook_id": w}).json()["items"]) for w in hooks_of)  # noqa: E731
        wait_for(lambda: count() == 11, what="11 deliveries")
        seen, cursor, pages, pending = [], None, 0, 0
        while True:
            page = a.get("/v1/deliveries", params={"limit": 5, **({"cursor": cursor} if cursor else {})}).json()
            seen += [d["event_id"] for d in page["items"]]
            pending += sum(d["status"] == "pending" for d in page["items"])
            pages, cursor = pages + 1, page["next_cursor"]
            if cursor is None:
                break
    assert seen == mine[::-1] and pages >= 3 and pending  # bounded pages, B's passed over, read from Redis


def test_the_dashboard_refuses_a_stack_key(settings):
    with TestClient(create_app(settings)) as client:
        r = login(client, create_key("acme's", stack=A)[1])
    assert r.status_code == 403 and "bound to stack" in r.text and "operators" in r.text
    assert "hooks_session" not in r.headers.get("set-cookie", "")


def test_the_cli_makes_a_stack_key_and_lists_its_stack(settings, hooks_env):
    made = hooks("api-key", "create", "--name", "acme", "--stack", A, "--read-only", "--json", env=hooks_env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["stack"] == A
    hooks("api-key", "create", "--name", "ops", env=hooks_env)
    listed = {k["name"]: k["stack"] for k in json.loads(hooks("api-key", "list", "--json", env=hooks_env).stdout)}
    assert listed == {"acme": A, "ops": None}
    table = hooks("api-key", "list", env=hooks_env).stdout.splitlines()
    assert "STACK" in table[0] and any(A in line and "acme" in line for line in table[1:])
    assert any("(global)" in line and "ops" in line for line in table[1:])
    bad = hooks("api-key", "create", "--name", "x", "--stack", "Not A Stack", env=hooks_env)
    assert bad.returncode != 0 and "stack" in bad.stderr
