"""What a key bound to a stack learns from a listing's cursor or a 404 (security review of issue 23): no id it was
not shown, no figure of every stack. Cursors handed to a bound key are sealed (hooks/api/sealed_cursors.py)."""

from __future__ import annotations

import base64
import re

from fastapi.testclient import TestClient

from hooks.api.apikeys import create_key
from hooks.api.app import create_app
from hooks.store.stream import Backlog
from tests.conftest import wait_for

A, B = "acme", "bravo"
IDS = re.compile(r"(?:msg|evt|wh)_[0-9A-Za-z_]{10,}")
BAD = "cursor: not a cursor this listing handed out."


def _client(settings, key: str) -> TestClient:
    return TestClient(create_app(settings), headers={"Authorization": f"Bearer {key}"})


def _readable(cursor: str) -> str:
    """Whatever text a cursor's base64 holds (a sealed one: noise)."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("latin-1")


def test_a_stack_keys_cursor_never_holds_an_id_of_another_stack_it_passed_over(
    settings, write_key, receiver, worker, monkeypatch
):
    monkeypatch.setattr("hooks.deliveries.query._SCAN", 2)  # a page of a stack's listing reads at most 4 ids
    monkeypatch.setattr("hooks.deliveries.query._STACK_SCAN", 4)
    receiver.script("/slow", [(204, 1.0, {})])  # ordered: one at a time, the rest wait in Redis
    with _client(settings, write_key) as g, _client(settings, create_key("acme's", stack=A)[1]) as a:
        for stack in (A, B):
            g.post("/v1/webhooks", json={"url": receiver.url + "/slow", "events": ["slow.#"], "stack": stack,
                                         "ordered": True})  # fmt: skip
        mine = g.post("/v1/events", json={"event_type": "slow.e", "data": {}, "stack": A}).json()["id"]
        theirs = [g.post("/v1/events", json={"event_type": "slow.e", "data": {}, "stack": B}).json()["id"]
                  for _ in range(9)]  # fmt: skip
        wait_for(lambda: len(g.get("/v1/deliveries").json()["items"]) == 10, 60, what="10 deliveries")
        b_ids = {d["id"] for d in g.get("/v1/deliveries", params={"limit": 100}).json()["items"]} - {mine}
        first = a.get("/v1/deliveries", params={"limit": 5}).json()
        assert first["items"] == [] and first["next_cursor"]  # the scan stopped on B's deliveries, newer than A's
        text = _readable(first["next_cursor"])
        assert not IDS.search(text) and not [i for i in b_ids | set(theirs) if i[4:20] in text], text
        seen, cursor = [], first["next_cursor"]
        while cursor:
            page = a.get("/v1/deliveries", params={"limit": 5, "cursor": cursor}).json()
            seen += [d["event_id"] for d in page["items"]]
            assert not IDS.search(_readable(page["next_cursor"] or "")), page["next_cursor"]
            cursor = page["next_cursor"]
        assert seen == [mine]  # the sealed cursor still pages on, past B's, to A's own


def test_a_stack_keys_cursors_are_sealed_on_every_listing_and_a_forged_one_is_a_400(settings, write_key):
    with _client(settings, write_key) as g, _client(settings, create_key("acme's", stack=A)[1]) as a:
        for n in range(3):
            g.post("/v1/webhooks", json={"url": f"https://example.com/{n}", "events": ["x.y"], "stack": A})
            g.post("/v1/events", json={"event_type": "x.y", "data": {}, "stack": A})
        for path in ("/v1/webhooks", "/v1/events"):
            plain = g.get(path, params={"limit": 1}).json()["next_cursor"]
            sealed = a.get(path, params={"limit": 1}).json()["next_cursor"]
            assert IDS.search(_readable(plain)) and not IDS.search(_readable(sealed)), path
            assert a.get(path, params={"limit": 1, "cursor": sealed}).status_code == 200, path
            for forged in (plain, sealed[:-2] + ("AA" if sealed[-2:] != "AA" else "BB"), "x" * 2000):
                r = a.get(path, params={"limit": 1, "cursor": forged})
                assert r.status_code == 400 and r.json()["detail"] == BAD, (path, r.text)
            assert g.get(path, params={"limit": 1, "cursor": sealed}).status_code == 400  # one listing's, one key's
        assert a.get("/v1/webhooks", params={"cursor": a.get("/v1/events", params={"limit": 1}).json()[
            "next_cursor"]}).status_code == 400  # fmt: skip
        assert a.get("/v1/dlq", params={"cursor": g.get("/v1/events", params={"limit": 1}).json()[
            "next_cursor"]}).status_code == 400  # fmt: skip


def test_a_stack_keys_404_for_a_delivery_does_not_tell_the_history_backlog(settings, write_key, monkeypatch):
    # the archiver 37 records behind (a real stream entry would be taken by the session's archiver)
    monkeypatch.setattr("hooks.deliveries.query.backlog", lambda client, keys: Backlog(37, 2.0))
    with _client(settings, write_key) as g, _client(settings, create_key("acme's", stack=A)[1]) as a:
        wh = g.post("/v1/webhooks", json={"url": "https://example.com/a", "events": ["x.y"], "stack": A}).json()["id"]
        own = g.post("/v1/events", json={"event_type": "x.y", "data": {}, "stack": A}).json()["id"]
        other = g.post("/v1/events", json={"event_type": "x.y", "data": {}, "stack": B}).json()["id"]
        unknown = f"msg_{own[4:]}_{'0' * 26}"  # an event of A's stack, a webhook that never was
        for delivery in (unknown, f"msg_{other[4:]}_{wh[3:]}", f"msg_{'0' * 26}_{'0' * 26}"):
            for path in (f"/v1/deliveries/{delivery}", f"/v1/dlq/{delivery}"):
                r = a.get(path)
                assert r.status_code == 404 and r.json()["detail"] == f"delivery {delivery} does not exist.", r.text
        assert "history backlog is 37 entries" in g.get(f"/v1/deliveries/{unknown}").json()["detail"]  # operators
