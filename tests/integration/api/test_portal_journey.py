"""Issue 23's one browser journey, end to end in Debian's chromium against real processes (a private Redis database
with its own worker, scheduler and archiver, the session's PostgreSQL history, a real API process and a real
receiver on 127.0.0.1): the product's backend asks for a link (POST /v1/portal-links), its customer opens it, adds
an endpoint subscribed to a catalogue type, sends a test event and reads the answer; the product publishes an
event of that type; the customer sees it delivered in the log, opens it (attempts and payload) and sends it again:
the receiver gets it twice with the same webhook-id; then signs out. No page reports a CSP violation on the way."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hooks
from hooks.api.apikeys import create_key
from hooks.catalogue import add_event_type
from hooks.errors import NotFoundError
from hooks.history import get_delivery as history_delivery
from hooks.history.connection import get_engine
from hooks.local.receiver import Receiver
from hooks.settings import get_settings
from tests.conftest import wait_for
from tests.integration.api.browser import csp_violations
from tests.integration.api.test_browser import shot

pytestmark = [pytest.mark.timeout(300), pytest.mark.xdist_group("browser")]

TYPE = "content_types.entries.publish"
EXAMPLE = {"entry": {"uid": "blt-example", "title": "Hello"}, "locale": "en-us"}


def _portal_link(api: str, key: str, stack: str, user: str) -> str:
    """What the product's backend does: ask the API for a single-use link to `stack`'s portal."""
    body = json.dumps({"stack": stack, "user": user, "ttl_s": 300}).encode()
    ask = urllib.request.Request(f"{api}/v1/portal-links", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(ask, timeout=10) as answer:
        assert answer.status == 201 and answer.headers["Cache-Control"] == "no-store"
        return str(json.load(answer)["url"])


def _archived(delivery_id: str) -> bool:
    """Whether the history has the delivery (Send again puts a finished delivery back from there)."""
    try:
        return history_delivery(get_engine(get_settings()), delivery_id).delivery.status == "delivered"
    except NotFoundError:
        return False


def _reload_until(page: Any, condition: Callable[[], bool], what: str) -> None:
    """Reload the page until `condition` holds (the log has no push: a customer reloads too)."""

    def reloaded() -> bool:
        page.reload()
        return condition()

    wait_for(reloaded, 30, 0.3, what=what)


def _add_endpoint(page: Any, url: str) -> str:
    """Add an endpoint through the portal's form, ticking the catalogue's type; its id (from the secret page)."""
    page.click("#add-endpoint")
    page.click("#event-types summary")  # the catalogue's example, shown with its type
    assert '"blt-example"' in page.inner_text("#event-types details pre")
    page.fill("input[name=url]", url)
    page.fill("input[name=name]", "Acme CMS receiver")
    page.check(f"input[name=types][value='{TYPE}']")
    with page.expect_navigation():
        page.click("#new-endpoint button[type=submit]")
    assert page.inner_text("#secret").startswith("whsec_")
    return str(page.get_attribute("#open-endpoint", "href")).rsplit("/", 1)[1]


@pytest.mark.slow
def test_a_customer_adds_an_endpoint_tests_it_sees_a_published_event_delivered_and_sends_it_again(
    make_cluster, receiver: Receiver, start_api, browser, tmp_path: Path
) -> None:
    cluster = make_cluster()
    cluster.scheduler()
    cluster.worker(concurrency=4)
    api = start_api(cluster.env)
    add_event_type(TYPE, description="An entry was published.", example=EXAMPLE)
    other = hooks.create_webhook(receiver.url + "/globex", [TYPE], stack="globex", name="globex receiver")
    key = create_key("acme backend", stack="acme")[1]

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    violations = csp_violations(page)
    page.goto(_portal_link(api, key, "acme", "ada@acme.example"))
    assert page.url == f"{api}/portal/" and "ada@acme.example" in page.inner_text("header")
    webhook_id = _add_endpoint(page, receiver.url + "/acme")
    made = hooks.get_webhook(webhook_id)
    assert (made.stack, made.events) == ("acme", [TYPE])

    page.click("#open-endpoint")
    page.click("#endpoint-test")  # the endpoint's page links to its "send a test event" page
    assert '"blt-example"' in page.inner_text("#example")
    with page.expect_navigation():
        page.click("#send-test button")
    assert page.inner_text("#test-result") == "HTTP 204 (ok)"
    (tested,) = receiver.requests_to("/acme")
    assert json.loads(tested.body)["data"] == EXAMPLE and json.loads(tested.body)["type"] == TYPE
    shot(page, tmp_path, "portal-journey-test-event")

    event_id = hooks.publish_event(TYPE, {"entry": {"uid": "blt-1", "title": "Launch"}}, stack="acme")
    hooks.publish_event(TYPE, {"entry": {"uid": "globex-only"}}, stack="globex")
    delivery_id = f"msg_{event_id[4:]}_{webhook_id[3:]}"
    page.goto(f"{api}/portal/deliveries")
    row = page.locator(f'tr[data-delivery="{delivery_id}"] td.status')
    _reload_until(page, lambda: row.count() == 1 and row.inner_text() == "delivered", "the delivery in the log")
    wait_for(lambda: receiver.ids_at("/globex"), 30, what="globex's delivery")
    assert page.locator("#delivery-log tbody tr").count() == 1 and other.id not in page.content()
    shot(page, tmp_path, "portal-journey-log")

    page.click(f'a[href="/portal/deliveries/{delivery_id}"]')
    assert page.inner_text("#delivery-status").startswith("delivered") and page.inner_text("#event-type") == TYPE
    assert page.locator("#attempts tbody tr").count() == 1 and "204" in page.inner_text("#attempts .result")
    assert '"blt-1"' in page.inner_text("#payload")
    wait_for(lambda: _archived(delivery_id), 30, what="the archiver to write the delivery to the history")
    with page.expect_navigation():
        page.click("#retry-form button")
    assert "Sending again now" in page.inner_text("p.note")
    wait_for(lambda: receiver.ids_at("/acme").count(delivery_id) == 2, 30, what="the delivery to arrive again")
    _reload_until(page, lambda: page.locator("#attempts tbody tr").count() == 2, "the second attempt on its page")
    shot(page, tmp_path, "portal-journey-sent-again")

    missing = page.goto(f"{api}/portal/no-such-page")
    assert missing is not None and missing.status == 404 and page.locator("header nav").is_visible()
    with page.expect_navigation():
        page.click("#sign-out button")
    assert page.url == f"{api}/portal/signed-out" and "You are signed out" in page.inner_text("main")
    assert page.goto(f"{api}/portal/").status == 401  # type: ignore[union-attr]
    assert violations == [], violations
