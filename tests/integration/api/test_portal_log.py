"""The portal's delivery log (hooks/portal/log.py) against real servers: a private Redis database with its own
worker, scheduler and archiver, the session's PostgreSQL history, a real receiver, and the app in this process
(a portal session from `hooks.portal.session.start`, as a sign-in link leaves it). Two stacks share everything:
`acme` (an endpoint that answers, one that always fails) and `beta`; what acme's session sees, changes or sends
is acme's only, and beta's ids answer the very 404 of an id that does not exist.

`ISOLATION_ROWS` lists every route of the log with the ids it takes, for the portal's table-driven isolation test.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

import hooks
from hooks.api.app import create_app
from hooks.catalogue import add_event_type
from hooks.deliveries.dlq import list_dead
from hooks.deliveries.query import get_delivery, list_deliveries
from hooks.local.processes import start_process, stop_process
from hooks.local.receiver import Receiver
from hooks.local.servers import free_port
from hooks.metrics.read import windows
from hooks.models.webhook import Webhook
from hooks.portal import log, log_scope
from hooks.portal.session import COOKIE, load, start
from hooks.settings import Settings, get_settings, reset_settings
from hooks.store.connection import close_all, get_redis
from tests.conftest import Cluster, use_env, wait_for
from tests.integration.api.browser import csp_violations
from tests.integration.api.conftest import _up
from tests.integration.api.test_browser import reload_until, shot
from tests.support.portal import link

pytestmark = [pytest.mark.timeout(300), pytest.mark.xdist_group("portal-log")]
DB = 13  # this module's processes have a Redis database of their own for the module's life

# Every route of the delivery log, as the app lists it, with the form a POST sends (the session's `csrf` added):
# the portal's isolation test (test_portal_isolation.py) takes these rows into its table over the route list.
ISOLATION_ROWS: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/portal/deliveries"): {},
    ("GET", "/portal/deliveries/{delivery_id}"): {},
    ("POST", "/portal/deliveries/{delivery_id}/retry"): {},
    ("POST", "/portal/deliveries/{delivery_id}/replay"): {},
    ("GET", "/portal/endpoints/{webhook_id}/test"): {},
    ("POST", "/portal/endpoints/{webhook_id}/test"): {"event_type": ""},
}
# ids no stack has, of each path parameter (the listing's endpoint filter takes a webhook id too)
UNKNOWN_IDS = {"webhook_id": "wh_01JAAAAAAAAAAAAAAAAAAAAAAA",
               "delivery_id": "msg_01JAAAAAAAAAAAAAAAAAAAAAAA_01JAAAAAAAAAAAAAAAAAAAAAAA"}  # fmt: skip
QUERIES = {("GET", "/portal/deliveries"): "?endpoint={webhook_id}"}  # where a route without an id takes one


@dataclass
class World:
    """The module's servers and what was seeded: acme's two endpoints, beta's one, and their deliveries."""

    env: dict[str, str]
    settings: Settings
    receiver: Receiver
    acme_ok: Webhook
    acme_bad: Webhook
    beta_ok: Webhook
    delivered: list[str] = field(default_factory=list)  # acme's, answered 204
    dead: list[str] = field(default_factory=list)  # acme's, dead-lettered after 500s
    beta: list[str] = field(default_factory=list)  # beta's, answered 204


def _ids(webhook_id: str) -> list[str]:
    return [d.id for d in list_deliveries(webhook_id=webhook_id, limit=100)]


def _seed(world: World) -> None:
    for i in range(3):
        hooks.publish_event("orders.created", {"order": i, "note": f"acme order {i}"}, stack="acme")
    for i in range(2):
        hooks.publish_event("orders.created", {"order": 100 + i}, stack="beta")

    def finished() -> bool:
        dead = {d.id for d in list_dead(webhook_id=world.acme_bad.id, limit=100)}
        done = [d for wh in (world.acme_ok.id, world.beta_ok.id) for d in list_deliveries(webhook_id=wh, limit=100)]
        return len(dead) == 3 and len(done) == 5 and all(d.status == "delivered" for d in done)

    wait_for(finished, 60, what="acme's and beta's deliveries to be delivered or dead-lettered in the history")
    world.delivered, world.dead, world.beta = _ids(world.acme_ok.id), _ids(world.acme_bad.id), _ids(world.beta_ok.id)


@pytest.fixture(scope="module")
def world(redis_server, hooks_env, log_dir) -> Iterator[World]:  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    env = {**hooks_env, "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/{DB}", "HOOKS_BREAKER_THRESHOLD": "100"}
    settings = use_env(env, mp)
    get_redis(settings).flushdb()
    cluster = Cluster(env, log_dir)
    receiver = Receiver().start()
    try:
        cluster.archiver()
        cluster.scheduler()
        cluster.worker(concurrency=4)
        receiver.script("/acme-bad", [(500, 0.0, {})])
        made = [hooks.create_webhook(receiver.url + path, ["orders.#"], stack=stack, name=name)
                for path, stack, name in (("/acme-ok", "acme", "acme orders"), ("/acme-bad", "acme", "acme flaky"),
                                          ("/beta-ok", "beta", "beta orders"))]  # fmt: skip
        world = World(env, settings, receiver, *made)
        _seed(world)
        yield world
    finally:
        cluster.stop()
        receiver.stop()
        get_redis(settings).flushdb()
        mp.undo()
        reset_settings(None)
        close_all()


@dataclass
class Portal:
    """A signed-in portal: the app's client with the session cookie, and the session's CSRF token."""

    client: TestClient
    csrf: str

    def post(self, path: str, form: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf": self.csrf, **(form or {})}, follow_redirects=False, **kwargs)


def signed_in(settings: Settings, stack: str) -> Portal:
    """A client signed in to the portal of `stack` (the cookie a sign-in link sets)."""
    token = start(settings, stack, f"{stack} user", 600)
    client = TestClient(create_app(settings))
    client.cookies.set(COOKIE, token)
    found = load(settings, token)
    assert found is not None
    return Portal(client, found.csrf)


@pytest.fixture
def acme(world: World) -> Iterator[Portal]:
    portal = signed_in(world.settings, "acme")
    with portal.client:
        yield portal


@pytest.fixture
def beta(world: World) -> Iterator[Portal]:
    portal = signed_in(world.settings, "beta")
    with portal.client:
        yield portal


def listed(portal: Portal, query: str = "") -> list[str]:
    """The delivery ids of every page of the log, following `Older`."""
    out: list[str] = []
    url = f"/portal/deliveries{query}"
    while True:
        page = portal.client.get(url)
        assert page.status_code == 200, page.text
        out += [chunk.split('"', 1)[0] for chunk in page.text.split('data-delivery="')[1:]]
        if 'id="older"' not in page.text:
            return out
        url = page.text.split('id="older"')[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_the_log_lists_only_the_stacks_deliveries_newest_first(world: World, acme: Portal, beta: Portal) -> None:
    mine = sorted(world.delivered + world.dead, reverse=True)
    assert listed(acme) == mine
    assert listed(beta) == sorted(world.beta, reverse=True)
    assert not set(listed(acme)) & set(world.beta)


def test_the_log_pages_and_filters_by_endpoint_and_status(world: World, acme: Portal,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(log, "PAGE", 2)  # 6 deliveries over two endpoints: 3 pages, merged across both
    assert listed(acme) == sorted(world.delivered + world.dead, reverse=True)
    assert listed(acme, f"?endpoint={world.acme_ok.id}") == sorted(world.delivered, reverse=True)
    assert listed(acme, "?status=delivered") == sorted(world.delivered, reverse=True)
    dead = listed(acme, "?status=dead")
    assert sorted(dead) == sorted(d for d in world.dead if get_delivery(d).in_dlq)
    assert listed(acme, f"?endpoint={world.acme_ok.id}&status=failed") == []
    bad = acme.client.get("/portal/deliveries?status=lost")
    assert bad.status_code == 422 and "status: must be one of pending, delivered, failed, dead" in bad.text


def test_the_logs_cursors_are_sealed_to_the_stack(world: World, acme: Portal, beta: Portal,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(log, "PAGE", 2)
    page = acme.client.get("/portal/deliveries").text
    older = page.split('id="older"')[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    cursor = parse_qs(urlsplit(older).query)["cursor"][0]
    assert "msg_" not in base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("latin-1")
    for forged in (cursor[:-4] + "AAAA", "ZGVsaXZlcmllc3x4fHk"):
        r = acme.client.get("/portal/deliveries", params={"cursor": forged})
        assert r.status_code == 400 and "cursor: not a cursor this listing handed out." in r.text
    assert beta.client.get(older).status_code == 400  # another stack's session cannot follow it


def test_a_delivery_shows_its_attempts_and_pretty_payload_and_no_secret(world: World, acme: Portal) -> None:
    page = acme.client.get(f"/portal/deliveries/{world.dead[-1]}")
    assert page.status_code == 200
    text = page.text
    assert 'id="attempts"' in text and text.count('<td class="result">500</td>') == 4
    assert "webhook-signature: [redacted]" in text and "v1," not in text
    assert world.acme_bad.secret not in text and world.acme_bad.secret[6:20] not in text
    payload = text.split('<pre class="payload" id="payload">')[1].split("</pre>")[0]
    assert "\n  &#34;" in payload and "&#34;note&#34;: &#34;acme order" in payload  # pretty JSON, escaped
    assert 'id="replay-form"' in text and 'id="retry-form"' in text
    assert "style=" not in text and "<script>" not in text


def test_replay_sends_a_dead_delivery_again_through_the_worker(world: World, acme: Portal) -> None:
    dead = world.dead[0]
    world.receiver.script("/acme-bad", [(200, 0.0, {})])
    try:
        answer = acme.post(f"/portal/deliveries/{dead}/replay")
        assert answer.status_code == 303 and answer.headers["location"] == f"/portal/deliveries/{dead}?done=replayed"
        wait_for(lambda: get_delivery(dead).status == "delivered", 30, what="the replayed delivery to be delivered")
        assert world.receiver.ids_at("/acme-bad", status=200) == [dead]  # webhook-id: the delivery's id
        page = acme.client.get(answer.headers["location"])
        assert "Replaying: the delivery left the dead-letter queue" in page.text and "replay" in page.text
        again = acme.post(f"/portal/deliveries/{dead}/replay")  # not dead any more: said, nothing sent
        assert again.headers["location"].endswith("?done=not_replayed")
    finally:
        world.receiver.script("/acme-bad", [(500, 0.0, {})])


def test_send_again_resends_a_delivered_delivery_with_the_same_webhook_id(world: World, acme: Portal) -> None:
    done = world.delivered[0]
    before = get_delivery(done).attempts
    answer = acme.post(f"/portal/deliveries/{done}/retry")
    assert answer.status_code == 303 and answer.headers["location"] == f"/portal/deliveries/{done}?done=retried"
    wait_for(lambda: world.receiver.ids_at("/acme-ok").count(done) == 2, 30, what="the delivery to be sent again")
    wait_for(lambda: get_delivery(done).attempts == before + 1, 30, what="the new attempt to be recorded")
    assert "Sending again now" in acme.client.get(answer.headers["location"]).text


def test_a_test_event_sends_the_catalogues_example_and_shows_the_answer_once(world: World, acme: Portal) -> None:
    add_event_type("orders.created", description="An order was placed.", example={"order": 42, "total": "9.99"})
    form = acme.client.get(f"/portal/endpoints/{world.acme_ok.id}/test")
    assert form.status_code == 200 and "An order was placed." in form.text
    assert "&#34;total&#34;: &#34;9.99&#34;" in form.text and 'id="test-answer"' not in form.text
    seen = len(world.receiver.requests_to("/acme-ok"))
    answer = acme.post(f"/portal/endpoints/{world.acme_ok.id}/test", {"event_type": "orders.created"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/portal/endpoints/{world.acme_ok.id}/test?type=orders.created"
    got = world.receiver.requests_to("/acme-ok")[seen:]
    assert len(got) == 1 and json.loads(got[0].body)["data"] == {"order": 42, "total": "9.99"}
    assert json.loads(got[0].body)["type"] == "orders.created" and got[0].headers["webhook-signature"].startswith("v1,")
    shown = acme.client.get(answer.headers["location"]).text
    assert '<dd id="test-result">HTTP 204 (ok)</dd>' in shown and 'id="test-duration"' in shown
    assert 'id="test-answer"' not in acme.client.get(answer.headers["location"]).text  # shown once
    unknown = acme.post(f"/portal/endpoints/{world.acme_ok.id}/test", {"event_type": "nope.nothing"})
    assert unknown.status_code == 422 and "event_type: &#39;nope.nothing&#39; is not in the catalogue." in unknown.text


def test_a_test_answer_shows_the_endpoints_failure_and_body(world: World, acme: Portal) -> None:
    world.receiver.script("/acme-bad", [(503, 0.0, {})])
    try:
        acme.post(f"/portal/endpoints/{world.acme_bad.id}/test", {"event_type": ""})
        shown = acme.client.get(f"/portal/endpoints/{world.acme_bad.id}/test").text
        assert (
            '<dd id="test-result">HTTP 503 (failed)</dd>' in shown
            and '<pre class="response" id="test-response">ok' in shown
        )
    finally:
        world.receiver.script("/acme-bad", [(500, 0.0, {})])


def test_the_chart_draws_the_stacks_deliveries_and_failures_or_an_empty_state(world: World, acme: Portal) -> None:
    wait_for(lambda: windows(get_redis(), get_settings(), [world.acme_bad.id])[world.acme_bad.id]["1h"].attempts >= 12,
             30, what="the archiver to count acme's attempts")  # fmt: skip
    text = acme.client.get("/portal/deliveries").text
    hour = text.split('class="chart-row chart-1h"')[1].split("</div>")[0]
    assert hour.count('<svg class="chart"') == 2 and 'class="point rate"' in hour and 'class="point fail"' in hour
    assert "Deliveries finished" in hour and "Attempts failed" in hour and "style=" not in text
    empty = signed_in(world.settings, "quiet")  # a stack without endpoints, so without deliveries
    with empty.client:
        page = empty.client.get("/portal/deliveries").text
    assert page.count('class="chart-empty"') == 2 and "<svg" not in page and "No deliveries match." in page


def test_a_webhook_moved_to_the_stack_does_not_bring_the_old_stacks_deliveries(world: World, acme: Portal) -> None:
    mover = hooks.create_webhook(world.receiver.url + "/mover", ["moves.#"], stack="beta", name="mover")
    old_event = hooks.publish_event("moves.made", {"from": "beta"}, stack="beta")
    wait_for(lambda: len(_ids(mover.id)) == 1, 30, what="beta's delivery to the mover")
    (old,) = _ids(mover.id)
    try:
        hooks.update_webhook(mover.id, stack="acme")  # an operator moves it
        hooks.publish_event("moves.made", {"from": "acme"}, stack="acme")
        wait_for(lambda: len(_ids(mover.id)) == 2, 30, what="acme's delivery to the mover")
        (new,) = [i for i in _ids(mover.id) if i != old]
        assert old.startswith(f"msg_{old_event[4:]}")
        assert listed(acme, f"?endpoint={mover.id}") == [new]
        assert acme.client.get(f"/portal/deliveries/{old}").status_code == 404
        assert acme.client.get(f"/portal/deliveries/{new}").status_code == 200
    finally:
        hooks.delete_webhook(mover.id)  # the other tests count acme's endpoints


def test_a_webhook_moved_away_from_the_stack_takes_its_deliveries_out_of_the_log(world: World, acme: Portal,
                                                                                  beta: Portal) -> None:  # fmt: skip
    leaver = hooks.create_webhook(world.receiver.url + "/leaver", ["leaves.#"], stack="acme", name="leaver")
    try:
        hooks.publish_event("leaves.made", {"from": "acme"}, stack="acme")
        wait_for(lambda: len(_ids(leaver.id)) == 1, 30, what="acme's delivery to the leaver")
        (old,) = _ids(leaver.id)
        assert old in listed(acme)
        hooks.update_webhook(leaver.id, stack="beta")  # an operator moves it away
        assert old not in listed(acme) and old not in listed(beta)  # no longer acme's webhook, not beta's event
        assert acme.client.get(f"/portal/deliveries/{old}").status_code == 404
        assert beta.client.get(f"/portal/deliveries/{old}").status_code == 404
    finally:
        hooks.delete_webhook(leaver.id)


def test_a_page_the_library_ends_short_is_filled_from_the_next_ones(world: World, acme: Portal,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(log, "PAGE", 3)
    real = log_scope.list_deliveries  # as when its scan of Redis passes over many of other stacks' ids
    monkeypatch.setattr(log_scope, "list_deliveries", lambda **kw: real(**{**kw, "limit": max(1, kw["limit"] // 2)}))
    assert acme.client.get("/portal/deliveries").text.count('data-delivery="') == 3
    assert listed(acme) == sorted(world.delivered + world.dead, reverse=True)


def _fill(method: str, path: str, ids: dict[str, str]) -> str:
    return (path + QUERIES.get((method, path), "")).format(**ids)


@pytest.mark.parametrize(("method", "path"), list(ISOLATION_ROWS))
def test_another_stacks_ids_answer_the_404_of_unknown_ids_and_change_nothing(world: World, beta: Portal, method: str,
                                                                             path: str) -> None:  # fmt: skip
    acme_ids = {"webhook_id": world.acme_bad.id, "delivery_id": world.dead[-1]}
    before = get_delivery(acme_ids["delivery_id"])
    sent = len(world.receiver.received)

    def call(ids: dict[str, str]) -> Any:
        url = _fill(method, path, ids)
        return beta.client.get(url) if method == "GET" else beta.post(url, ISOLATION_ROWS[(method, path)])

    theirs, unknown = call(acme_ids), call(UNKNOWN_IDS)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.text == unknown.text
    after = get_delivery(acme_ids["delivery_id"])
    assert (after.status, after.in_dlq, after.replays, after.attempts) == (before.status, True, before.replays,
                                                                         before.attempts)  # fmt: skip
    assert len(world.receiver.received) == sent


@pytest.mark.parametrize(
    ("headers", "csrf"),
    [({}, None), ({}, "not-the-token"), ({"Origin": "http://evil.example"}, "ok"),
     ({"Sec-Fetch-Site": "cross-site"}, "ok"), ({"Origin": "null"}, "ok")],
)  # fmt: skip
def test_a_form_without_the_token_or_from_another_origin_is_refused(world: World, acme: Portal,
                                                                    headers: dict[str, str], csrf: str | None) -> None:  # fmt: skip
    sent = len(world.receiver.received)
    target = world.dead[-1]
    for path, form in ((f"/portal/deliveries/{target}/replay", {}), (f"/portal/deliveries/{target}/retry", {}),
                       (f"/portal/endpoints/{world.acme_ok.id}/test", {"event_type": ""})):  # fmt: skip
        data = {**form} if csrf is None else {**form, "csrf": acme.csrf if csrf == "ok" else csrf}
        answer = acme.client.post(path, data=data, headers=headers, follow_redirects=False)
        assert answer.status_code == 403, (path, answer.status_code)
    assert get_delivery(target).in_dlq and len(world.receiver.received) == sent


@pytest.fixture(scope="module")
def world_api(world: World, log_dir: Path) -> Iterator[str]:
    """A real API process (uvicorn) on the module's database; its URL."""
    port = free_port()
    proc = start_process([sys.executable, "-m", "hooks.api"], {**world.env, "HOOKS_API_PORT": str(port)},
                         log_dir / f"api-portal-log-{port}.log")  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is None and _up(url), 30, what="the API")
        yield url
    finally:
        stop_process(proc)


def test_in_chromium_a_user_reads_the_log_replays_and_sends_a_test_event(world: World, world_api: str, browser: Any,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations = csp_violations(page)
    page.goto(link("acme", base=world_api, user="ada@acme.example"))  # the product's sign-in link
    page.click('a[href="/portal/deliveries"]')
    done, dead = world.delivered[1], world.dead[1]
    assert page.inner_text(f'tr[data-delivery="{done}"] td.status') == "delivered"
    assert page.locator("#charts svg.chart").count() >= 2
    shot(page, tmp_path, "portal-log")
    page.click(f'a[href="/portal/deliveries/{done}"]')
    assert (
        page.inner_text("#delivery-status").startswith("delivered") and page.locator("#attempts tbody tr").count() >= 1
    )
    assert "acme order" in page.inner_text("#payload")
    world.receiver.script("/acme-bad", [(200, 0.0, {})])
    try:
        page.goto(f"{world_api}/portal/deliveries/{dead}")
        assert page.inner_text("#delivery-status").startswith("dead")
        with page.expect_navigation():
            page.click("#replay-form button")
        assert "Replaying" in page.inner_text("p.note")
        reload_until(page, "delivered", "#delivery-status")
    finally:
        world.receiver.script("/acme-bad", [(500, 0.0, {})])
    shot(page, tmp_path, "portal-replayed")
    page.goto(f"{world_api}/portal/endpoints/{world.acme_ok.id}/test")
    with page.expect_navigation():
        page.click("#send-test button")
    assert page.inner_text("#test-result") == "HTTP 204 (ok)"
    shot(page, tmp_path, "portal-test-event")
    assert violations == []
    context.close()
