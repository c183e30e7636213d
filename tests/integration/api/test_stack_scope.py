"""Stack-scoped API keys (issue 23): a key bound to stack A reaching for anything of stack B, on every route.

The table below has a row per (method, path) of the app's /v1 routes and /metrics; the test reads the routes from
`create_app().routes`, so a route added without a row fails here until someone writes down what a key of another
stack gets from it (one line). Each call is made with stack A's key and B's ids; then:
- a 404 must read exactly like the 404 of an id that does not exist (the same call with unknown ids),
- a listing must hold none of B's ids (while a global key's holds them),
- and nothing of B changed: its webhook, event, deliveries, DLQ and receiver compare equal before and after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from hooks.api.apikeys import create_key
from hooks.api.app import create_app
from hooks.models.ids import delivery_id, new_event_id, new_webhook_id
from tests.conftest import wait_for

A, B = "acme", "bravo"


@dataclass(frozen=True)
class Call:
    """One request of a row: its status, and what else the answer must show."""

    status: int
    json: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    listing: bool = False  # 200 and none of B's ids in it (a global key's holds them)
    field: str | None = None  # the problem's `field`


GONE = Call(404)  # B's id answers as an unknown id
LISTED = Call(200, listing=True)
MANY_B = {"webhook_id": "{webhook_id}"}
ROUTES: dict[tuple[str, str], list[Call]] = {
    ("POST", "/v1/webhooks"): [Call(422, {"url": "{url}", "events": ["iso.#"], "stack": B}, field="stack")],
    ("GET", "/v1/webhooks"): [LISTED, Call(422, params={"stack": B}, field="stack")],
    ("GET", "/v1/webhooks/{webhook_id}"): [GONE],
    ("PATCH", "/v1/webhooks/{webhook_id}"): [Call(404, {"name": "taken"}), Call(404, {"stack": A})],
    ("DELETE", "/v1/webhooks/{webhook_id}"): [GONE],
    ("POST", "/v1/webhooks/{webhook_id}/enable"): [GONE],
    ("POST", "/v1/webhooks/{webhook_id}/disable"): [GONE],
    ("POST", "/v1/webhooks/{webhook_id}/rotate-secret"): [GONE],
    ("POST", "/v1/webhooks/{webhook_id}/test"): [GONE],
    ("GET", "/v1/webhooks/{webhook_id}/stats"): [GONE],
    ("POST", "/v1/events"): [Call(422, {"event_type": "iso.x", "data": {}, "stack": B}, field="stack")],
    ("GET", "/v1/events"): [LISTED, Call(422, params={"stack": B}, field="stack")],
    ("GET", "/v1/events/{event_id}"): [GONE],
    ("GET", "/v1/deliveries"): [
        LISTED,
        Call(404, params=MANY_B, field="webhook_id"),
        Call(404, params={"event_id": "{event_id}"}, field="event_id"),
    ],
    ("GET", "/v1/deliveries/{delivery_id}"): [GONE],
    ("POST", "/v1/deliveries/{delivery_id}/retry"): [GONE],
    ("GET", "/v1/dlq"): [LISTED, Call(404, params=MANY_B, field="webhook_id")],
    ("GET", "/v1/dlq/{delivery_id}"): [GONE],
    ("POST", "/v1/dlq/{delivery_id}/replay"): [GONE],
    ("POST", "/v1/dlq/{delivery_id}/purge"): [GONE],
    ("POST", "/v1/dlq/replay"): [Call(404, MANY_B, field="webhook_id"), Call(200, {"all": True})],
    ("POST", "/v1/dlq/purge"): [Call(404, MANY_B, field="webhook_id"), Call(200, {"all": True})],
    ("GET", "/v1/stats"): [Call(200)],  # A's figures only: test_stats_of_a_stack_key_count_its_webhooks_only
    ("GET", "/metrics"): [Call(403)],  # every stack's figures: global keys only
    ("GET", "/v1/event-types"): [Call(200)],  # the catalogue is shared: every key reads it
    ("GET", "/v1/event-types/{name}"): [Call(404)],  # (an unknown type)
    ("PUT", "/v1/event-types/{name}"): [Call(403, {"description": "x"})],  # changed by global keys only
    ("DELETE", "/v1/event-types/{name}"): [Call(403)],
    ("POST", "/v1/portal-links"): [Call(422, {"stack": B}, field="stack")],  # a link to B's portal: never
}


def _routes() -> set[tuple[str, str]]:
    """Every (method, path) of the app under /v1, and /metrics."""
    return {
        (m, r.path)
        for r in iter_route_contexts(create_app().routes)
        if r.path.startswith("/v1/") or r.path == "/metrics"
        for m in (getattr(r, "methods", None) or ())
    }


def test_every_v1_route_has_a_row_in_the_isolation_table():
    routes = _routes()
    assert not routes - set(ROUTES), (
        f"routes without a row in ROUTES (what does another stack's key get?): {sorted(routes - set(ROUTES))}"
    )
    assert not set(ROUTES) - routes, f"rows of routes that are gone: {sorted(set(ROUTES) - routes)}"


def _fill(value: Any, ids: dict[str, str]) -> Any:
    """`value` (a path, or JSON) with `{name}` replaced by ids[name]."""
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: ids[m[1]], value)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _request(client: TestClient, method: str, path: str, call: Call, ids: dict[str, str]) -> Any:
    return client.request(
        method,
        _fill(path, ids),
        params=_fill(call.params, ids),
        json=_fill(call.json, ids) if call.json is not None else None,
    )


def _seed(g: TestClient, receiver: Any) -> dict[str, str]:
    """A webhook, an event and a dead-lettered delivery in each stack (their receiver answers 500, no retries)."""
    ids: dict[str, str] = {"url": receiver.url + "/new"}
    for stack in (A, B):
        receiver.script(f"/{stack}", [(500, 0.0, {})])
        wh = g.post(
            "/v1/webhooks",
            json={"url": f"{receiver.url}/{stack}", "events": ["iso.#"], "stack": stack, "retry_policy": "manual"},
        ).json()
        event_id = g.post("/v1/events", json={"event_type": "iso.made", "data": {"s": stack}, "stack": stack}).json()
        ids |= {
            f"{stack}_webhook": wh["id"],
            f"{stack}_event": event_id["id"],
            f"{stack}_delivery": delivery_id(event_id["id"], wh["id"]),
        }
    wait_for(lambda: len(g.get("/v1/dlq").json()["items"]) == 2, what="both deliveries dead-lettered")
    wait_for(lambda: all(e["state"] == "finished" for e in g.get("/v1/events").json()["items"]), what="archived")
    return ids


def _state_of_b(g: TestClient, receiver: Any, ids: dict[str, str]) -> dict[str, Any]:
    """Everything of stack B a global key sees, and what B's receiver got."""
    return {
        "webhook": g.get(f"/v1/webhooks/{ids['webhook_id']}").json(),
        "webhooks": g.get("/v1/webhooks", params={"stack": B}).json(),
        "events": g.get("/v1/events", params={"stack": B}).json(),
        "event": g.get(f"/v1/events/{ids['event_id']}").json(),
        "delivery": g.get(f"/v1/deliveries/{ids['delivery_id']}").json(),
        "deliveries": g.get("/v1/deliveries", params={"webhook_id": ids["webhook_id"]}).json(),
        "dlq": g.get("/v1/dlq", params={"webhook_id": ids["webhook_id"]}).json(),
        "received": len(receiver.requests_to(f"/{B}")),
    }


@pytest.fixture
def world(settings, write_key, receiver, worker):
    """A global client, stack A's read-write key, and the ids of both stacks."""
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {write_key}"}) as g:
        ids = _seed(g, receiver)
        yield g, create_key("acme's", stack=A)[1], ids


def test_a_stack_key_gets_nothing_of_another_stack_on_any_route_and_changes_nothing(world, receiver):
    g, key_a, seeded = world
    b_ids = {
        "webhook_id": seeded[f"{B}_webhook"],
        "event_id": seeded[f"{B}_event"],
        "delivery_id": seeded[f"{B}_delivery"],
        "url": seeded["url"],
        "name": "cat.never_registered",
    }
    unknown_event, unknown_webhook = new_event_id(), new_webhook_id()
    unknown = {
        "webhook_id": unknown_webhook,
        "event_id": unknown_event,
        "url": seeded["url"],
        "delivery_id": delivery_id(unknown_event, unknown_webhook),
        "name": "cat.never_registered",
    }
    before = _state_of_b(g, receiver, b_ids)
    with TestClient(g.app, headers={"Authorization": f"Bearer {key_a}"}) as a:
        for (method, path), calls in sorted(ROUTES.items()):
            for call in calls:
                r = _request(a, method, path, call, b_ids)
                where = f"{method} {path} {call}: {r.status_code} {r.text[:300]}"
                assert r.status_code == call.status, where
                if call.field is not None:
                    assert r.json()["field"] == call.field, where
                if call.status == 404:  # reads exactly as the same call with ids that do not exist
                    twin = _request(a, method, path, call, unknown)
                    names = "|".join(map(re.escape, unknown.values()))
                    as_b = _fill(re.sub(names, lambda m: "{" + _key(unknown, m[0]) + "}", twin.text), b_ids)
                    assert (twin.status_code, as_b) == (404, r.text), where
                if call.listing:
                    assert not any(v in r.text for k, v in b_ids.items() if k != "url"), where
                    assert (
                        b_ids["webhook_id"] in g.get(path).text
                        or b_ids["delivery_id"] in g.get(path).text
                        or b_ids["event_id"] in g.get(path).text
                    )
    assert _state_of_b(g, receiver, b_ids) == before


def _key(ids: dict[str, str], value: str) -> str:
    return next(k for k, v in ids.items() if v == value)


def test_stats_of_a_stack_key_count_its_webhooks_only(world, monkeypatch):
    g, key_a, ids = world
    monkeypatch.setattr("hooks.api.dlq_size._cached", {})  # counted now, not a figure an earlier test left
    with TestClient(g.app, headers={"Authorization": f"Bearer {key_a}"}) as a:
        mine = a.get("/v1/stats").json()
    assert mine["stack"] == A and mine["in_flight"]["webhooks"] == 1 and mine["dlq_size"] == 1
    assert mine["busiest_webhooks"] == [ids[f"{A}_webhook"]]
    assert ids[f"{B}_webhook"] not in str(mine)
    assert g.get("/v1/stats").json()["dlq_size"] == 2  # a global key: every stack
    forbidden = TestClient(g.app).get("/metrics", headers={"Authorization": f"Bearer {key_a}"})
    assert forbidden.status_code == 403 and "global key" in forbidden.json()["detail"]
