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
