"""Issue 23's isolation rule for the portal, over the app's own route list: a session of stack A naming anything
of stack B gets the same 404 as an unknown id, and nothing of B changes; a page without an id shows nothing of B.

Every route under /portal must have a row in ROWS (a new route without one fails here): the form it posts, if any.
Path parameters are filled with B's ids from `_seed_b` (add the ids a new kind of route needs there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

import hooks
from hooks.api.app import create_app
from hooks.catalogue import add_event_type
from tests.integration.api.test_portal_log import ISOLATION_ROWS, UNKNOWN_IDS
from tests.support.portal import csrf, sign_in

EDIT = {"url": "https://example.com/changed", "patterns": "x.y", "name": "changed by A"}
NEW = {"url": "https://example.com/new", "patterns": "x.y", "name": "A's new one"}


@dataclass(frozen=True)
class Row:
    """How to call one portal route: the form a POST sends (its csrf is added)."""

    form: dict[str, str] = field(default_factory=dict)


ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/portal/login"): Row(),
    ("POST", "/portal/login"): Row({"token": "not-a-link-token"}),
    ("GET", "/portal/theme.css"): Row(),
    ("GET", "/portal/"): Row(),
    ("GET", "/portal/endpoints/new"): Row(),
    ("POST", "/portal/endpoints"): Row(NEW),
    ("GET", "/portal/endpoints/{webhook_id}"): Row(),
    ("POST", "/portal/endpoints/{webhook_id}/edit"): Row(EDIT),
    ("POST", "/portal/endpoints/{webhook_id}/enable"): Row(),
    ("POST", "/portal/endpoints/{webhook_id}/disable"): Row(),
    ("POST", "/portal/endpoints/{webhook_id}/delete"): Row({"confirm": "yes"}),
    ("POST", "/portal/endpoints/{webhook_id}/rotate-secret"): Row({"confirm": "yes", "grace_hours": "0"}),
    ("GET", "/portal/endpoints/{webhook_id}/secret"): Row(),
    ("POST", "/portal/sign-out"): Row(),
    ("GET", "/portal/signed-out"): Row(),
    ("GET", "/portal/{path:path}"): Row(),  # the catch-all 404 page (registered last)
    ("POST", "/portal/{path:path}"): Row(),
}
ROWS.update({key: Row(form) for key, form in ISOLATION_ROWS.items()})  # the delivery log's (hooks/portal/log.py)
UNKNOWN = {"webhook_id": "wh_00000000000000000000000000", "delivery_id": UNKNOWN_IDS["delivery_id"],
           "path": "endpoints/wh_00000000000000000000000000/nothing"}  # fmt: skip


def _routes(app) -> list[tuple[str, str]]:
    """(method, path) of every portal route of the app (routers included), its static files left out."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path", "")
        if path.startswith("/portal") and not path.startswith("/portal/static"):
            found += [(m, path) for m in sorted(getattr(route, "methods", None) or ()) if m != "HEAD"]
    return found


def _seed_b() -> tuple[dict[str, str], list[str]]:
    """Stack B's ids by path parameter, and the texts of B that no page of A may show."""
    b = hooks.create_webhook("https://b.example.com/private-hook", ["b.only"], stack="globex", name="globex-secret-wh",
                             headers={"X-B": "b-header-value"})  # fmt: skip
    event_id = hooks.publish_event("b.only", {"n": 1}, stack="globex")  # its delivery id (no worker fans it out here)
    ids = {"webhook_id": b.id, "delivery_id": f"msg_{event_id[4:]}_{b.id[3:]}", "path": f"endpoints/{b.id}/nothing"}
    return ids, [b.id, b.name, "b.example.com", b.secret, "b-header-value"]


def _state_of_b() -> list[dict]:
    return [w.model_dump() for w in hooks.list_webhooks(stack="globex")]


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: ids[m[1]], path)  # {name} or {name:converter}


def test_every_portal_route_has_a_row():
    missing = [r for r in _routes(create_app()) if r not in ROWS]
    assert missing == [], f"add a row to ROWS in {__name__} for each of {missing}"


@pytest.mark.parametrize(("method", "path"), list(ROWS))
def test_a_session_of_stack_a_sees_and_changes_nothing_of_stack_b(settings, method, path):
    add_event_type("x.y", description="A type", example={"n": 1})
    hooks.create_webhook("https://a.example.com/hook", ["x.y"], stack="acme", name="acme-wh")
    b_ids, b_texts = _seed_b()
    before = _state_of_b()
    with TestClient(create_app(settings)) as client:
        sign_in(client, "acme")
        token = csrf(client.get("/portal/endpoints/new").text)

        def call(ids: dict[str, str]):
            url = _fill(path, ids)
            if method == "GET":
                return client.get(url, follow_redirects=False)
            return client.post(url, data={**ROWS[(method, path)].form, "csrf": token}, follow_redirects=False)

        got = call(b_ids)
        if "{" in path:
            unknown = call(UNKNOWN)
            assert got.status_code == unknown.status_code == 404, (got.status_code, unknown.status_code)
            mask = lambda text, ids: re.sub("|".join(map(re.escape, ids.values())), "<id>", text)  # noqa: E731
            assert mask(got.text, b_ids) == mask(unknown.text, UNKNOWN)
        else:
            assert got.status_code < 500
        sent = set(b_ids.values()) if "{" in path else set()  # a 404 may repeat the id asked for, as for any id
        assert not [t for t in b_texts if t in got.text and t not in sent], got.text[:500]
    assert _state_of_b() == before
