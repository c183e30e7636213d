"""The portal after the security review of issue 23: a logo URL that would break the CSP header is refused, a
link's session ends with the API key that asked for it, and a link scanner's GET does not use a link up."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

import hooks
from hooks.api.apikeys import create_key, revoke_key
from hooks.api.app import create_app
from hooks.errors import ValidationError
from hooks.settings import reset_settings
from tests.support.portal import NAVIGATE, link

BAD_LOGOS = ["https://例え.jp/logo.png", "https://a.example.com:99999/x.png", "https://*/x.png",
             "https://user:pw@cdn.example.com/x.png", "https://cdn.example.com:/x.png"]  # fmt: skip


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize("logo_url", BAD_LOGOS)
def test_a_logo_url_the_csp_header_cannot_hold_is_a_422_naming_logo_url(settings, write_key, logo_url):
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {write_key}"}) as client:
        r = client.post("/v1/portal-links", json={"stack": "acme", "logo_url": logo_url})
        assert r.status_code == 422 and r.json()["field"] == "logo_url", r.text
        assert r.json()["detail"].startswith("logo_url: must ")
    reset_settings(settings.model_copy(update={"api_public_url": "https://hooks.example.com"}))
    with pytest.raises(ValidationError, match="^logo_url: must "):
        hooks.portal_url("acme", logo_url=logo_url)


def test_an_idn_logo_in_its_ascii_form_shows_on_a_page_with_its_origin_in_img_src(settings):
    with TestClient(create_app(settings)) as client:
        client.get(link("acme", logo_url="https://xn--r8jz45g.jp:8443/logo.png"), headers=NAVIGATE)
        home = client.get("/portal/")
    assert home.status_code == 200 and "img-src 'self' data: https://xn--r8jz45g.jp:8443;" in home.headers[
        "content-security-policy"]  # fmt: skip


def test_revoking_the_api_key_that_asked_for_a_link_ends_its_sessions(settings, write_key):
    key_id, key = (lambda made: (made[0].id, made[1]))(create_key("acme backend", stack="acme"))
    with TestClient(create_app(settings)) as api:
        urls = [api.post("/v1/portal-links", json={}, headers={"Authorization": f"Bearer {key}"}).json()["url"]
                for _ in range(2)]  # fmt: skip
    with TestClient(create_app(settings)) as signed, TestClient(create_app(settings)) as by_python:
        assert signed.get(_path(urls[0]), headers=NAVIGATE, follow_redirects=False).status_code == 303
        assert by_python.get(link("acme"), headers=NAVIGATE, follow_redirects=False).status_code == 303
        assert signed.get("/portal/").status_code == 200
        revoke_key(key_id)
        assert signed.get("/portal/").status_code == 401  # the session is over
        later = signed.get(_path(urls[1]), headers=NAVIGATE)  # a link of the key, used after its revocation
        assert later.status_code == 401 and signed.get("/portal/").status_code == 401
        assert by_python.get("/portal/").status_code == 200  # a link made in Python has no key to lose


def test_a_link_scanners_get_shows_a_continue_page_and_only_its_post_signs_in(settings):
    url = link("acme")
    with TestClient(create_app(settings)) as scanner:
        for _ in range(2):  # a scanner and its retry: nothing used up
            r = scanner.get(_path(url), follow_redirects=False)
            assert r.status_code == 200 and 'action="/portal/login"' in r.text and url.rsplit("=", 1)[1] in r.text
            csp = r.headers["content-security-policy"]
            assert "script-src 'self';" in csp and "form-action 'self'" in csp and "unsafe-inline" not in csp
            assert "set-cookie" not in r.headers and not re.search(r"<script(?![^>]*\bsrc=)", r.text)  # none inline
    token = url.rsplit("=", 1)[1]
    with TestClient(create_app(settings)) as browser:
        cross = browser.post("/portal/login", data={"token": token}, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403 and "set-cookie" not in cross.headers
        elsewhere = browser.post("/portal/login", data={"token": token}, headers={"Origin": "https://evil.example"})
        assert elsewhere.status_code == 403
        ok = browser.post("/portal/login", data={"token": token}, headers={"Sec-Fetch-Site": "same-origin"},
                          follow_redirects=False)  # fmt: skip
        assert ok.status_code == 303 and ok.headers["location"] == "/portal/" and "hooks_portal=" in ok.headers[
            "set-cookie"]  # fmt: skip
        assert "acme" in browser.get("/portal/").text
        again = browser.post("/portal/login", data={"token": token}, headers={"Sec-Fetch-Site": "same-origin"})
        assert again.status_code == 410


def test_a_browsers_navigation_still_signs_in_in_one_step(settings):
    for dest in ("document", "iframe"):
        with TestClient(create_app(settings)) as client:
            r = client.get(_path(link("acme")), headers={"Sec-Fetch-Dest": dest}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/portal/", dest
