"""The portal in Debian's chromium against a real API process: a customer opens a link, adds an endpoint that
subscribes to a catalogue type, sees its secret once and rotates it; a used or expired link is refused; the product's
page (a listed origin on another port) frames the portal, another page cannot; the theme's color and logo apply
with no CSP violation. The screenshot docs/portal.png is taken here (HOOKS_SCREENSHOT_DIR)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import hooks
from hooks.catalogue import add_event_type
from hooks.portal.keys import PortalKeys, token_hash
from hooks.store.connection import get_redis
from tests.integration.api.browser import csp_violations
from tests.integration.api.test_browser import shot
from tests.support.attacker import Site, attacker_site
from tests.support.portal import link

pytestmark = [pytest.mark.timeout(300), pytest.mark.xdist_group("browser")]

COLOR = "#7c3aed"
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32"><rect width="120" height="32" rx="6" '
    'fill="#7c3aed"/><text x="60" y="22" font-family="sans-serif" font-size="16" font-weight="700" fill="#fff" '
    'text-anchor="middle">Acme Cloud</text></svg>'
)


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Site]:
    """The product's own app: another port of 127.0.0.1, listed in HOOKS_PORTAL_FRAME_ANCESTORS, serving the logo."""
    root = tmp_path / "product"
    root.mkdir()
    (root / "logo.svg").write_text(LOGO)
    with attacker_site(root) as site:
        yield site


@pytest.fixture
def portal(start_api, hooks_env, product, settings) -> str:
    """A real API process whose portal the product may frame, themed with the product's color and logo."""
    return start_api({**hooks_env, "HOOKS_PORTAL_FRAME_ANCESTORS": product.url, "HOOKS_PORTAL_PRIMARY_COLOR": COLOR,
                      "HOOKS_PORTAL_LOGO_URL": f"{product.url}/logo.svg",
                      "HOOKS_PORTAL_PRODUCT_NAME": "Acme Cloud"})  # fmt: skip


def test_a_customer_adds_an_endpoint_from_the_catalogue_sees_the_secret_once_and_rotates_it(portal, browser,
                                                                                             tmp_path):  # fmt: skip
    add_event_type("entries.publish", description="An entry was published.", example={"entry": {"uid": "e1"}})
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    violations = csp_violations(page)
    page.goto(link("acme", base=portal, user="ada@acme.test"))
    assert page.url == f"{portal}/portal/" and "ada@acme.test" in page.inner_text("header")
    page.click("#add-endpoint")
    page.fill("input[name=url]", "https://example.com/acme-hooks")
    page.fill("input[name=name]", "Acme production")
    page.check("input[name=types][value='entries.publish']")
    page.click("#new-endpoint button[type=submit]")
    (made,) = hooks.list_webhooks(stack="acme")
    assert made.events == ["entries.publish"] and page.inner_text("#secret") == made.secret
    page.reload()
    assert page.locator("#shown-already").is_visible() and made.secret not in page.content()
    page.goto(f"{portal}/portal/endpoints/{made.id}")
    page.check("#rotate-form input[name=confirm]")
    page.click("#rotate-form button[type=submit]")
    rotated = hooks.get_webhook(made.id).secret
    assert rotated != made.secret and page.inner_text("#secret") == rotated
    page.goto(f"{portal}/portal/")
    assert "Acme production" in page.inner_text("#endpoints") and "healthy" in page.inner_text("#endpoints")
    accent = page.evaluate("getComputedStyle(document.querySelector('.brand')).color")
    assert accent == "rgb(124, 58, 237)"
    assert page.evaluate("document.querySelector('#portal-logo').naturalWidth") == 120
    shot(page, tmp_path, "portal")
    assert violations == []


def test_a_used_or_expired_link_is_refused(portal, browser, settings):
    used = link("acme", base=portal)
    first = browser.new_page()
    first.goto(used)
    assert first.url == f"{portal}/portal/"
    second = browser.new_context().new_page()
    answer = second.goto(used)
    assert answer is not None and answer.status == 410
    assert "This link was used or has expired: ask Acme Cloud for a new one." in second.inner_text("#link-refused")
    expired = link("acme", base=portal, ttl_s=60)
    get_redis(settings).pexpire(PortalKeys(settings).link(token_hash(expired.rsplit("=", 1)[1])), 1)
    answer = second.goto(expired)
    assert answer is not None and answer.status == 410
    assert second.goto(f"{portal}/portal/").status == 401  # type: ignore[union-attr]


def test_the_listed_origin_frames_the_portal_and_another_cannot(portal, browser, product, attacker):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    violations = csp_violations(page)
    page.goto(product.page("embed.html", f'<iframe src="{link("acme", base=portal)}" width="1200" height="700">'
                                         "</iframe>"))  # fmt: skip
    (framed,) = [f for f in page.frames if f is not page.main_frame]
    framed.wait_for_selector("#add-endpoint", timeout=10_000)
    assert framed.url == f"{portal}/portal/" and violations == [], violations
    framed.click("#add-endpoint")
    framed.fill("input[name=url]", "https://example.com/from-the-frame")
    framed.fill("input[name=patterns]", "entries.*")
    framed.click("#new-endpoint button[type=submit]")
    framed.wait_for_selector("#secret")  # a form posted inside the frame passes the CSRF and origin checks
    assert [w.url for w in hooks.list_webhooks(stack="acme")] == ["https://example.com/from-the-frame"]
    page.goto(attacker.page("frame.html", f'<iframe src="{link("acme", base=portal)}" width="1200" height="700">'
                                          "</iframe>"))  # fmt: skip
    (refused,) = [f for f in page.frames if f is not page.main_frame]
    page.wait_for_timeout(500)
    assert refused.query_selector("#add-endpoint") is None and "Endpoints" not in refused.content()
    headers = page.request.get(f"{portal}/portal/theme.css").headers
    assert f"frame-ancestors {product.url};" in headers["content-security-policy"]
    assert "x-frame-options" not in headers
