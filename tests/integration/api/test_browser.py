"""The dashboard in a real headless chromium, against a real API process, worker and archiver: log in,
add a webhook, publish, watch the delivery arrive in the log, replay a dead one. And Flower behind basic auth.
Screenshots go to the test's own tmp directory (and to $HOOKS_SCREENSHOT_DIR too, when set)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

import hooks
from hooks.api.apikeys import create_key
from hooks.local.processes import start_process, stop_process
from hooks.local.servers import free_port
from tests.conftest import wait_for

# the first test may install chromium (apt-get): the browser tests run on one xdist worker, so only one installs
pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("browser")]


def shot(page, tmp_path: Path, name: str) -> None:
    """A full-page screenshot under the test's output (and $HOOKS_SCREENSHOT_DIR)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("HOOKS_SCREENSHOT_DIR"):
        shutil.copy(path, Path(os.environ["HOOKS_SCREENSHOT_DIR"]) / path.name)


def reload_until(page, text: str, where: str, timeout_s: float = 30.0) -> None:
    """Reload the page until `where` contains `text` (the log has no push: an operator reloads too)."""
    deadline = time.monotonic() + timeout_s
    while text not in page.inner_text(where):
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} did not appear in {where} within {timeout_s}s")
        time.sleep(0.3)
        page.reload()


@pytest.mark.slow
def test_an_operator_logs_in_adds_a_webhook_publishes_and_replays_a_dead_one(make_cluster, receiver, start_api,
                                                                             browser, tmp_path):  # fmt: skip
    cluster = make_cluster()
    cluster.worker(concurrency=4)
    url = start_api(cluster.env)
    key = create_key("on-call")[1]
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    # log in (a wrong key first)
    page.goto(f"{url}/ui/")
    assert page.url.endswith("/ui/login")
    page.fill("input[name=key]", key + "x")
    page.click("button[type=submit]")
    assert "not valid" in page.inner_text("main")
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")
    assert page.url.endswith("/ui/") and "on-call" in page.inner_text("header")
    cookie = next(c for c in page.context.cookies() if c["name"] == "hooks_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # add a webhook
    page.goto(f"{url}/ui/webhooks")
    page.fill("#create-webhook input[name=url]", receiver.url + "/ui")
    page.fill("#create-webhook input[name=events]", "ui.#")
    page.fill("#create-webhook input[name=name]", "blog receiver")
    page.click("#create-webhook button[type=submit]")
    secret = page.inner_text("#secret")
    assert secret.startswith("whsec_")
    page.click("#open-webhook")
    webhook_url = page.url
    # publish
    page.goto(f"{url}/ui/publish")
    page.fill("#publish input[name=event_type]", "ui.entry.publish")
    page.click("#publish button[type=submit]")
    assert "published evt_" in page.inner_text(".note")
    # the delivery arrives in the webhook's log
    page.goto(webhook_url)
    reload_until(page, "delivered", "#delivery-log")
    assert len(receiver.requests_to("/ui")) == 1
    shot(page, tmp_path, "webhook")
    page.click("#delivery-log a")
    assert "204" in page.inner_text("#attempts") and "[redacted]" in page.inner_text("#attempts")
    shot(page, tmp_path, "delivery")
    # a dead one, replayed from the DLQ page
    receiver.script("/dead", [(500, 0.0, {})])
    hooks.create_webhook(receiver.url + "/dead", ["ui.#"], name="flaky receiver", retry_policy="manual")
    hooks.publish_event("ui.entry.update", {"title": "second"})
    page.goto(f"{url}/ui/dlq")
    reload_until(page, "manual_retry_policy", "#dead")
    shot(page, tmp_path, "dlq")
    receiver.script("/dead", [(204, 0.0, {})])
    page.click("#dead button.replay")
    assert "replaying msg_" in page.inner_text(".note")
    wait_for(lambda: [r for r in receiver.requests_to("/dead") if r.status == 204], what="the replay to arrive")
    reload_until(page, "empty", "#dead")
    page.goto(f"{url}/ui/webhooks")
    reload_until(page, "HTTP 500", "table.health")  # the flaky one's last error, counted by the archiver
    shot(page, tmp_path, "webhooks")
    page.goto(f"{url}/ui/")
    reload_until(page, "blog receiver", "table.health")  # names, not ids
    shot(page, tmp_path, "overview")
    # a form without its token is refused
    response = page.request.post(f"{url}/ui/publish", form={"event_type": "ui.x", "data": "{}"})
    assert response.status == 403


@pytest.mark.slow
def test_flower_asks_for_basic_auth_and_shows_the_worker(make_cluster, browser, tmp_path, log_dir):
    cluster = make_cluster(archiver=False)
    worker = cluster.worker(concurrency=2)
    port, user, password = free_port(), "admin", "correct-horse-battery"
    flower = start_process([sys.executable, "-m", "hooks", "flower", f"--port={port}", "--address=127.0.0.1"],
                           {**cluster.env, "FLOWER_BASIC_AUTH": f"{user}:{password}"}, log_dir / "flower.log")  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(lambda: _status(url) == 401, 30, what="Flower to listen")
        context = browser.new_context(http_credentials={"username": user, "password": password})
        page = context.new_page()
        page.goto(url)
        name = next(line for line in cluster.logs("worker")[-1].read_text().splitlines()
                    if "ready." in line).split("@")[0].split()[-1]  # fmt: skip
        deadline = time.monotonic() + 30
        while name not in page.content():
            assert time.monotonic() < deadline, f"Flower did not show worker {name}"
            time.sleep(1)
            page.reload()
        shot(page, tmp_path, "flower")
        assert worker.poll() is None
    finally:
        stop_process(flower)


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0
