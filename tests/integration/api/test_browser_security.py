"""Issue 20's security items in a real chromium, against a real API process, the attacker's pages served from
another port of 127.0.0.1 (another origin of the same site): the dashboard cannot be framed, every page sends
the strict CSP and breaks none of it, /docs works offline from the package's own Swagger UI."""

from __future__ import annotations

import re
import time

import httpx2 as httpx
import pytest

import hooks
from hooks.api.apikeys import create_key
from hooks.models.ids import delivery_id
from hooks.settings import get_settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.integration.api.browser import csp_violations, logged_in
from tests.integration.api.test_browser import shot
from tests.integration.api.test_dashboard_session import token

pytestmark = [pytest.mark.timeout(300), pytest.mark.xdist_group("browser")]

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_a_page_of_another_origin_cannot_frame_the_dashboard(api_server, settings, write_key, browser, attacker):
    page = logged_in(browser, api_server, write_key)
    page.goto(f"{api_server}/ui/dlq")
    assert page.locator("#replay-all").is_visible()  # logged in: top-level, the page and its buttons are there
    page.goto(attacker.page("frame.html", f'<iframe src="{api_server}/ui/dlq" width="1200" height="700"></iframe>'))
    (framed,) = [f for f in page.frames if f is not page.main_frame]
    assert framed.query_selector("#replay-all") is None and "Replay" not in framed.content()
    r = page.request.get(f"{api_server}/ui/dlq")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"] and r.headers["x-frame-options"] == "DENY"


def test_every_dashboard_page_sends_the_strict_csp_and_breaks_none_of_it(api_server, settings, write_key, browser):
    webhook = hooks.create_webhook("https://example.com/hooks", ["csp.#"], name="csp")
    event_id = hooks.publish_event("csp.check", {"n": 1})
    delivery = delivery_id(event_id, webhook.id)
    now = time.time()
    get_redis(settings).hset(Keys(get_settings()).delivery(delivery), mapping={
        "status": "failed", "attempts": 1, "created_at": now, "updated_at": now, "last_status": 500})  # fmt: skip
    page = logged_in(browser, api_server, write_key)
    violations = csp_violations(page)
    paths = ["/ui/", "/ui/webhooks", f"/ui/webhooks/{webhook.id}", f"/ui/deliveries/{delivery}", "/ui/dlq",
             "/ui/publish", "/docs"]  # fmt: skip
    for path in paths:
        response = page.goto(api_server + path)
        assert response.status == 200, path
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"] and "unsafe-inline" not in headers[
            "content-security-policy"], path  # fmt: skip
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin", path
        assert path == "/docs" or headers["cache-control"] == "no-store", path
        assert not INLINE.findall(page.content()), path
    page.context.clear_cookies()
    assert page.goto(f"{api_server}/ui/login").headers["cache-control"] == "no-store"
    assert not INLINE.findall(page.content())
    assert violations == []


def test_docs_render_swagger_ui_from_the_package_with_nothing_from_another_host(api_server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    violations = csp_violations(page)
    page.goto(f"{api_server}/docs")
    page.locator(".opblock-summary-path", has_text="/v1/webhooks").first.wait_for(timeout=15_000)
    shot(page, tmp_path, "api-docs")
    assert requested and all(u.startswith(api_server + "/") or u.startswith("data:") for u in requested), requested
    assert violations == []


def test_a_page_of_another_origin_cannot_log_the_victim_in_as_the_attacker(api_server, settings, browser,
                                                                           attacker):  # fmt: skip
    attackers_key = create_key("attacker")[1]
    # a login form's nonce and token, fetched by the attacker from the login page (valid, as the HMAC is)
    with httpx.Client() as own:
        harvested_token = token(own.get(f"{api_server}/ui/login").text)
        harvested_nonce = own.cookies["hooks_login_csrf"]
    page = browser.new_page()
    for nonce, csrf in (("T", "T"), (harvested_nonce, harvested_token)):  # issue 20's attack, then a real pair
        page.goto(attacker.page("win.html", f"""
            <form method="post" action="{api_server}/ui/login"><input type="hidden" name="csrf" value="{csrf}">
            <input type="hidden" name="key" value="{attackers_key}"><button id="win">Win a prize</button></form>
            <script>document.cookie = "hooks_login_csrf={nonce}; path=/ui";</script>"""))  # fmt: skip
        with page.expect_navigation():
            page.click("#win")
        assert page.url == f"{api_server}/ui/login" and "hooks_session" not in str(page.context.cookies())
        assert page.goto(f"{api_server}/ui/").url == f"{api_server}/ui/login"  # the victim is not logged in


def test_the_one_time_secret_page_survives_no_reload_nor_back(api_server, settings, write_key, browser, tmp_path):
    page = logged_in(browser, api_server, write_key)
    page.goto(f"{api_server}/ui/webhooks")
    page.fill("#create-webhook input[name=url]", "https://example.com/hooks")
    page.fill("#create-webhook input[name=events]", "once.#")
    page.fill("#create-webhook input[name=name]", "once")
    with page.expect_response(lambda r: r.url.endswith("/secret"), timeout=10_000) as shown:
        page.click("#create-webhook button[type=submit]")
    assert shown.value.headers["cache-control"] == "no-store"
    secret = page.inner_text("#secret")
    assert secret.startswith("whsec_")
    shot(page, tmp_path, "dashboard-secret-once")
    page.click("#open-webhook")
    page.go_back()  # no-store: Back asks the server again, which has nothing kept to show
    assert page.locator("#shown-already").is_visible() and secret not in page.content()
    page.reload()  # a GET: no second webhook, and still no secret
    assert page.locator("#shown-already").is_visible() and secret not in page.content()
    assert len(hooks.list_webhooks()) == 1
    # rotate from the webhook's page: confirmed, the new secret is shown once on the same page
    page.goto(f"{api_server}/ui/webhooks/{hooks.list_webhooks()[0].id}")
    page.fill("#rotate-secret input[name=grace_hours]", "2")
    page.check("#rotate-secret input[name=confirm]")
    shot(page, tmp_path, "dashboard-rotate-secret")
    page.click("#rotate-secret button[type=submit]")
    rotated = page.inner_text("#secret")
    assert rotated.startswith("whsec_") and rotated != secret and "for 2 h" in page.inner_text("main")
    page.reload()
    assert rotated not in page.content() and len(hooks.list_webhooks()) == 1
