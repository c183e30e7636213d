"""The dashboard an on-call engineer reads, in a real chromium against one API process, worker, scheduler and
archiver for the whole module (a private Redis database; the breaker opens after 2 failures and cools down for
10 minutes, so only the buttons end it): charts, a down endpoint with Probe now and Release, search and the
event page, editing and deleting a webhook, read-only sessions, and pages that fit a 1280 px window.
Data is seeded through the Python API and real deliveries to the `receiver`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import hooks
from hooks.api.apikeys import create_key
from hooks.deliveries.dlq import list_dead, replay_many
from hooks.deliveries.events import get_event
from hooks.local.processes import start_process, stop_process
from hooks.local.servers import free_port
from hooks.metrics.keys import ALL
from hooks.metrics.read import windows
from hooks.registry.health import state
from hooks.settings import get_settings, reset_settings
from hooks.store.connection import close_all, get_redis
from tests.conftest import Cluster, use_env, wait_for
from tests.integration.api.conftest import _up
from tests.integration.api.test_browser import shot

pytestmark = [pytest.mark.timeout(300), pytest.mark.xdist_group("browser")]
WIDEST = """[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > 1280)
  .slice(0, 3).map(e => e.tagName + "." + e.className)"""  # what sticks out, to say in a failure
DB = 14  # make_cluster's databases count from 1 within a test; this module's lives as long as the module


@dataclass
class Ops:
    """The module's API URL and keys."""

    url: str
    write_key: str
    read_key: str


@pytest.fixture(scope="module")
def ops(redis_server, hooks_env, log_dir) -> Iterator[Ops]:  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    env = {**hooks_env, "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/{DB}", "HOOKS_BREAKER_THRESHOLD": "2",
           "HOOKS_BREAKER_COOLDOWN_S": "600", "HOOKS_BREAKER_MAX_COOLDOWN_S": "600"}  # fmt: skip
    use_env(env, mp)
    cluster = Cluster(env, log_dir)
    api = None
    try:
        cluster.archiver()
        cluster.scheduler()
        cluster.worker(concurrency=4)
        port = free_port()
        api = start_process([sys.executable, "-m", "hooks.api"], {**env, "HOOKS_API_PORT": str(port)},
                            log_dir / f"api-ops-{port}.log")  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(url), 30, what="the API")
        yield Ops(url, create_key("on-call")[1], create_key("auditor", read_only=True)[1])
    finally:
        cluster.stop()
        if api is not None:
            stop_process(api)
        mp.undo()
        reset_settings(None)
        close_all()


def login(browser, ops: Ops, *, read_only: bool = False):  # type: ignore[no-untyped-def]
    """A new page (1280 px wide) logged in with the module's read-write (or read-only) key."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{ops.url}/ui/login")
    page.fill("input[name=key]", ops.read_key if read_only else ops.write_key)
    with page.expect_navigation():  # the overview loaded, not only asked for
        page.click("button[type=submit]")
    assert page.url.endswith("/ui/")
    return page


def archived_attempts(webhook_id: str) -> int:
    """Attempts the archiver has counted for a webhook in the last hour."""
    return windows(get_redis(), get_settings(), [webhook_id])[webhook_id]["1h"].attempts


def test_charts_draw_the_history_with_names_and_an_empty_state(ops, browser, receiver, tmp_path: Path) -> None:
    busy = hooks.create_webhook(receiver.url + "/charts", ["charts.#"], name="charts receiver")
    quiet = hooks.create_webhook(receiver.url + "/quiet", ["quiet.#"], name="quiet receiver")
    for i in range(6):
        hooks.publish_event("charts.entry.publish", {"n": i})
    wait_for(lambda: archived_attempts(busy.id) >= 6, 30, what="the archiver to count the attempts")
    page = login(browser, ops)
    assert page.locator("#charts .chart-1h circle.point").count() > 0
    assert page.locator("#charts .chart-24h circle.point").count() > 0
    assert "UTC" in page.locator("#charts circle.point title").first.text_content()
    assert "charts receiver" in page.inner_text("table.health")  # a name, not only an id
    shot(page, tmp_path, "overview-charts")
    page.goto(f"{ops.url}/ui/webhooks/{busy.id}")
    assert page.locator("#charts svg.chart").count() == 6  # three charts over the hour, three over the day
    page.goto(f"{ops.url}/ui/webhooks/{quiet.id}")
    assert page.locator("#charts svg").count() == 0 and page.locator(".chart-empty").count() == 2
    assert windows(get_redis(), get_settings(), [ALL])[ALL]["1h"].attempts >= 6


def down_with_waiting(webhook_id: str, n: int) -> bool:
    health = state(get_redis(), get_settings(), webhook_id)
    return health["state"] == "open" and health["waiting_deliveries"] >= n


def test_a_down_endpoint_is_obvious_and_probe_now_and_release_bring_it_back(ops, browser, receiver,
                                                                           tmp_path: Path) -> None:  # fmt: skip
    receiver.script("/down", [(500, 0.0, {})])
    down = hooks.create_webhook(receiver.url + "/down", ["down.#"], name="down receiver")
    for i in range(4):
        hooks.publish_event("down.entry.publish", {"n": i})
    wait_for(lambda: down_with_waiting(down.id, 3), 30, what="the breaker to open with deliveries waiting")
    page = login(browser, ops)
    assert page.locator("#down-summary").count() == 1 and page.inner_text("#open-breakers") == "1"
    wait_for(lambda: archived_attempts(down.id) >= 2, 30, what="the failed attempts to be counted")
    page.reload()
    assert page.inner_text("#windows tbody tr:first-child td.attempt-success") != "100.0%"
    page.goto(f"{ops.url}/ui/webhooks/{down.id}")
    panel = page.inner_text("#breaker-down")
    assert "Endpoint down" in panel and "Next probe at" in panel and int(page.inner_text("#waiting-count")) >= 3
    assert "HTTP 500" in panel
    shot(page, tmp_path, "webhook-breaker-open")
    receiver.script("/down", [(204, 0.0, {})])
    page.click("#release-waiting")
    assert "waiting deliveries released" in page.inner_text(".note")
    wait_for(lambda: len(set(receiver.ids_at("/down", status=204))) == 4, 30, what="the released deliveries")
    # down again, then one probe brings it back
    receiver.script("/down", [(500, 0.0, {})])
    for i in range(3):
        hooks.publish_event("down.entry.update", {"n": i})
    wait_for(lambda: down_with_waiting(down.id, 2), 30, what="the breaker to open again")
    page.reload()
    receiver.script("/down", [(204, 0.0, {})])
    page.click("#probe-now")
    assert "probing now" in page.inner_text(".note")
    wait_for(lambda: len(set(receiver.ids_at("/down", status=204))) == 7, 30, what="the probe, then the rest")
    assert state(get_redis(), get_settings(), down.id)["state"] == "closed"


def delivered(webhook_id: str, n: int) -> list[object]:
    """The webhook's deliveries once `n` are delivered (else an empty list)."""
    found = list(hooks.list_deliveries(webhook_id=webhook_id, status="delivered", limit=100))
    return found if len(found) >= n else []


def test_search_finds_a_delivery_and_an_event_and_the_event_page_shows_its_payload(ops, browser, receiver,
                                                                                  tmp_path: Path) -> None:  # fmt: skip
    found = hooks.create_webhook(receiver.url + "/find?token=s3cret-query-value", ["find.#"], name="search receiver")
    event_id = hooks.publish_event("find.entry.publish", {"title": "Findable", "tags": ["a", "b"]})
    (d,) = wait_for(lambda: delivered(found.id, 1), 30, what="the delivery")  # type: ignore[misc]
    page = login(browser, ops)
    page.fill("form.search input[name=q]", d.id)  # type: ignore[attr-defined]
    page.press("form.search input[name=q]", "Enter")
    page.wait_for_url("**/ui/search?**")
    assert d.id in page.inner_text("#results") and "search receiver" in page.inner_text("#results")  # type: ignore[attr-defined]
    page.click("#results a.result")
    assert "find.entry.publish" in page.inner_text("#event-type")
    assert page.inner_text("#target-url") == receiver.url + "/find?token=…"  # the query's values are masked
    page.fill("form.search input[name=q]", event_id)
    page.press("form.search input[name=q]", "Enter")
    page.wait_for_url("**/ui/search?**")
    shot(page, tmp_path, "search-results")
    page.click("#results a.result")
    assert '"title": "Findable"' in page.inner_text("#payload")
    assert "search receiver" in page.inner_text("#event-deliveries")
    shot(page, tmp_path, "event")
    wait_for(lambda: get_event(event_id).state == "finished", 30, what="the event to reach the history")
    page.goto(f"{ops.url}/ui/search?q=find.entry.publish&since=1h")
    assert event_id in page.inner_text("#event-results")


def test_edit_keeps_values_on_a_bad_url_changes_the_url_and_delete_leaves_the_overview_at_once(
        ops, browser, receiver, tmp_path: Path) -> None:  # fmt: skip
    edited = hooks.create_webhook(receiver.url + "/before", ["edit.#"], name="edit me",
                                  headers={"X-Api-Key": "header-secret-value-1234"})  # fmt: skip
    page = login(browser, ops)
    page.goto(f"{ops.url}/ui/webhooks/{edited.id}")
    page.click("#edit")
    assert "header-secret-value-1234" not in page.content()
    page.fill("#edit-webhook input[name=url]", "ftp://nope")
    page.fill("#edit-webhook textarea[name=description]", "kept on error")
    page.click("#edit-webhook button[type=submit]")
    assert "url:" in page.inner_text("#form-error")
    assert page.input_value("#edit-webhook textarea[name=description]") == "kept on error"
    assert page.input_value("#edit-webhook input[name=url]") == "ftp://nope"
    shot(page, tmp_path, "edit-form")
    page.fill("#edit-webhook input[name=url]", receiver.url + "/after")
    page.click("#edit-webhook button[type=submit]")
    assert "saved" in page.inner_text(".note")
    now = hooks.get_webhook(edited.id)
    assert now.url == receiver.url + "/after" and now.headers == {"X-Api-Key": "header-secret-value-1234"}
    assert now.description == "kept on error"
    # a webhook that is down, with deliveries parked, leaves the overview as soon as it is deleted
    receiver.script("/gone", [(500, 0.0, {})])
    gone = hooks.create_webhook(receiver.url + "/gone", ["gone.#"], name="doomed receiver")
    for i in range(3):
        hooks.publish_event("gone.entry.publish", {"n": i})
    wait_for(lambda: down_with_waiting(gone.id, 1), 30, what="the breaker to open")
    wait_for(lambda: archived_attempts(gone.id) >= 2, 30, what="its attempts to be counted")
    page.goto(f"{ops.url}/ui/")
    assert "doomed receiver" in page.inner_text("table.health") and page.inner_text("#open-breakers") == "1"
    page.goto(f"{ops.url}/ui/webhooks/{gone.id}/edit")
    page.click("#delete-webhook button[type=submit]")  # the box is required: the browser does not send it
    assert page.url.endswith("/edit")
    page.check("#delete-webhook input[name=confirm]")
    page.click("#delete-webhook button[type=submit]")
    assert "deleted doomed receiver" in page.inner_text(".note")
    page.goto(f"{ops.url}/ui/")
    assert "doomed receiver" not in page.inner_text("table.health") and page.inner_text("#open-breakers") == "0"
    assert page.locator("#down-summary").count() == 0


def test_a_read_only_session_sees_no_write_button_anywhere(ops, browser, receiver) -> None:
    hook = hooks.create_webhook(receiver.url + "/ro", ["ro.#"], name="read-only view", retry_policy="manual")
    receiver.script("/ro", [(500, 0.0, {})])
    event_id = hooks.publish_event("ro.entry.publish", {"n": 1})
    wait_for(lambda: list(list_dead(webhook_id=hook.id)), 30, what="a dead letter")
    delivery_id = list_dead(webhook_id=hook.id)[0].id
    page = login(browser, ops, read_only=True)
    for path in ("/ui/", "/ui/webhooks", f"/ui/webhooks/{hook.id}", f"/ui/webhooks/{hook.id}/edit", "/ui/dlq",
                 f"/ui/deliveries/{delivery_id}", f"/ui/events/{event_id}", "/ui/publish", f"/ui/search?q={event_id}"):  # fmt: skip
        page.goto(ops.url + path)
        assert page.locator("main form[method=post]").count() == 0, path
        assert page.locator("header nav").count() == 1, path


def test_pages_fit_1280_px_keep_the_navigation_on_errors_and_older_keeps_an_offset(ops, browser, receiver) -> None:
    path = "/long/" + "segment/" * 12
    name = ("a receiver with a rather long name " * 4)[:120]
    hook = hooks.create_webhook(receiver.url + path, ["long.#"], name=name)
    dead = hooks.create_webhook(receiver.url + "/dead" + path, ["longdead.#"], name=name, retry_policy="manual")
    receiver.script("/dead" + path, [(500, 0.0, {})])
    ids = [hooks.publish_event("long.entry.publish", {"n": i}) for i in range(52)]
    hooks.publish_event("longdead.entry.publish", {"n": 0})
    wait_for(lambda: delivered(hook.id, 52), 60, what="52 deliveries")
    wait_for(lambda: list(list_dead(webhook_id=dead.id)), 30, what="a dead letter")
    delivery_id = list_dead(webhook_id=dead.id)[0].id
    page = login(browser, ops)
    for path in ("/ui/", "/ui/webhooks", f"/ui/webhooks/{hook.id}", "/ui/dlq", f"/ui/deliveries/{delivery_id}",
                 f"/ui/events/{ids[0]}", "/ui/search?q=long.entry.publish"):  # fmt: skip
        page.goto(ops.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"{path} is {width} px wide: {page.evaluate(WIDEST)}"
    assert "ago" in page.locator("main time").first.inner_text()  # app.js: the browser's zone, how long ago
    since = "2026-01-01T00:00:00+01:00"
    page.goto(f"{ops.url}/ui/webhooks/{hook.id}?since={since.replace('+', '%2B')}")
    assert "%2B01%3A00" in page.get_attribute("#older", "href")  # type: ignore[operator]
    page.click("#older")
    assert (
        "No deliveries match" not in page.inner_text("#delivery-log")
        and page.locator("#delivery-log tbody a").count() == 2
    )
    for path, status in (("/ui/no-such-page", 404), ("/ui/webhooks/wh_01JAAAAAAAAAAAAAAAAAAAAAAA", 404)):
        response = page.goto(ops.url + path)
        assert response.status == status and "text/html" in response.headers["content-type"]  # type: ignore[union-attr]
        assert page.locator("header nav").count() == 1 and page.locator("form.search").count() == 1


def test_a_replayed_delivery_counts_once_in_the_figures(ops, receiver) -> None:
    hook = hooks.create_webhook(receiver.url + "/replayed", ["replayed.#"], name="replayed", retry_policy="manual")
    receiver.script("/replayed", [(500, 0.0, {}), (204, 0.0, {})])
    hooks.publish_event("replayed.entry.publish", {"n": 1})
    wait_for(lambda: list(list_dead(webhook_id=hook.id)), 30, what="the dead letter")
    wait_for(lambda: windows(get_redis(), get_settings(), [hook.id])[hook.id]["1h"].dead_lettered == 1, 30,
             what="the dead letter to be counted")  # fmt: skip
    assert replay_many(webhook_id=hook.id) == 1
    wait_for(lambda: windows(get_redis(), get_settings(), [hook.id])[hook.id]["1h"].delivered == 1, 30,
             what="the replay to be counted")  # fmt: skip
    figures = windows(get_redis(), get_settings(), [hook.id])[hook.id]["1h"]
    assert (figures.deliveries, figures.success_rate, figures.attempts) == (1, 1.0, 2)


def test_a_delivery_page_shows_each_attempts_response_headers_redacted(ops, browser, receiver, tmp_path) -> None:
    receiver.script("/answers", [(503, 0.0, [("X-Request-Id", "req-1"), ("Set-Cookie", "sid=s3cret")]),
                                 (200, 0.0, [("X-Request-Id", "req-2"), ("X-Long", "v" * 300)])])  # fmt: skip
    hook = hooks.create_webhook(receiver.url + "/answers", ["answers.#"], name="answers",
                                retry={"base_s": 0.1, "jitter": 0})  # fmt: skip
    hooks.publish_event("answers.entry.publish", {"n": 1})
    wait_for(lambda: delivered(hook.id, 1), 30, what="the delivery, on its second attempt")
    (d,) = hooks.list_deliveries(webhook_id=hook.id)
    page = login(browser, ops, read_only=True)
    page.goto(f"{ops.url}/ui/deliveries/{d.id}")
    first, second = (page.inner_text(f"#attempts tbody tr:nth-child({n}) pre.response-headers") for n in (1, 2))
    assert "X-Request-Id: req-1\nSet-Cookie: [redacted]" in first and "s3cret" not in page.content()
    assert "X-Request-Id: req-2\nX-Long: " + "v" * 199 + "…" in second and "Server: " in second
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the delivery page is {width} px wide: {page.evaluate(WIDEST)}"
    shot(page, tmp_path, "delivery-response-headers")


def test_purge_and_replay_everything_ask_before_they_act(ops, browser, receiver) -> None:
    hook = hooks.create_webhook(receiver.url + "/confirm", ["confirm.#"], name="confirm receiver",
                                retry_policy="manual")  # fmt: skip
    receiver.script("/confirm", [(500, 0.0, {})])
    for n in range(2):
        hooks.publish_event("confirm.entry.publish", {"n": n})
    wait_for(lambda: len(list(list_dead(webhook_id=hook.id))) == 2, 30, what="two dead letters")
    page = login(browser, ops)
    page.goto(f"{ops.url}/ui/dlq?webhook_id={hook.id}")
    page.click("#dead a.purge")  # a link to a page that asks, not a button that purges
    assert page.url.endswith("/purge") and "confirm receiver" in page.inner_text("main")
    page.click("#purge button")  # the box is not ticked: the browser does not send the form
    assert page.url.endswith("/purge") and len(list(list_dead(webhook_id=hook.id))) == 2
    csrf = page.get_attribute("#purge input[name=csrf]", "value")
    page.request.post(page.url, form={"csrf": csrf or ""})  # sent anyway, without the box: the server refuses too
    assert len(list(list_dead(webhook_id=hook.id))) == 2
    page.check("#purge input[name=confirm]")
    page.click("#purge button")
    assert "purged" in page.inner_text(".note") and len(list(list_dead(webhook_id=hook.id))) == 1
    receiver.script("/confirm", [(204, 0.0, {})])
    hooks.enable_webhook(hook.id)  # two failures opened its breaker (this module's threshold): close it
    page.goto(f"{ops.url}/ui/dlq?webhook_id={hook.id}")
    page.request.post(f"{ops.url}/ui/dlq-replay", form={"csrf": csrf or "", "webhook_id": hook.id})
    assert len(list(list_dead(webhook_id=hook.id))) == 1  # Replay everything without the box: nothing sent
    page.check("form.actions input[name=confirm]")
    page.click("#replay-all")
    assert "replaying 1 dead-lettered" in page.inner_text(".note")
    wait_for(lambda: delivered(hook.id, 1), 30, what="the replayed delivery")
