"""Behind a TLS proxy: HOOKS_API_PUBLIC_URL (https) makes the dashboard's cookies `__Host-` + Secure whatever scheme
the request arrived with, and forms must come from that origin (scheme, host and port); uvicorn believes
X-Forwarded-Proto only from HOOKS_API_FORWARDED_ALLOW_IPS."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from hooks.api.app import create_app
from hooks.errors import ConfigurationError
from hooks.settings import Settings, reset_settings
from tests.integration.api.test_dashboard_session import token

PUBLIC = "https://dash.example.com"


def _public(settings: Settings, url: str = PUBLIC) -> Settings:
    s = settings.model_copy(update={"api_public_url": url})
    reset_settings(s)
    return s


def test_an_https_public_url_makes_the_cookies_host_prefixed_even_over_plain_http(settings, write_key):
    s = _public(settings)
    with TestClient(create_app(s)) as client:  # the proxy talks plain http and says nothing of https
        form = client.get("/ui/login")
        assert form.headers["set-cookie"].startswith("__Host-hooks_login_csrf=") and "Secure" in form.headers[
            "set-cookie"]  # fmt: skip
        nonce = form.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
        r = client.post("/ui/login", data={"key": write_key, "csrf": token(form.text)}, follow_redirects=False,
                        headers={"Cookie": f"__Host-hooks_login_csrf={nonce}", "Origin": PUBLIC})  # fmt: skip
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-hooks_session="))
        assert "Secure" in cookie and "Path=/;" in cookie and "HttpOnly" in cookie
        session = cookie.split(";", 1)[0].split("=", 1)[1]
        assert client.get("/ui/", headers={"Cookie": f"__Host-hooks_session={session}"}).status_code == 200
        # a cookie tossed from another port over http (no prefix) is not read: no login by the attacker's session
        planted = client.get("/ui/", headers={"Cookie": f"hooks_session={session}"}, follow_redirects=False)
        assert planted.status_code == 303 and planted.headers["location"] == "/ui/login"


def test_forms_must_come_from_the_public_origin(settings, write_key):
    s = _public(settings)
    with TestClient(create_app(s)) as client:
        for other in ("http://testserver", "http://dash.example.com", "https://dash.example.com:8443"):
            form = client.get("/ui/login")
            nonce = form.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
            r = client.post("/ui/login", data={"key": write_key, "csrf": token(form.text)}, follow_redirects=False,
                            headers={"Cookie": f"__Host-hooks_login_csrf={nonce}", "Origin": other})  # fmt: skip
            assert r.status_code == 403 and "own login page" in r.text, other


def test_an_origin_of_another_scheme_is_another_origin(settings, write_key):
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        for other, status in (("http://testserver", 403), ("http://testserver:443", 403), ("https://testserver", 303),
                              ("https://testserver:443", 303)):  # fmt: skip
            client.cookies.clear()
            form = client.get("/ui/login")
            r = client.post("/ui/login", data={"key": write_key, "csrf": token(form.text)}, headers={"Origin": other},
                            follow_redirects=False)  # fmt: skip
            assert r.status_code == status, other


@pytest.mark.parametrize("bad", ["https://x.example/dash", "ftp://x.example", "https://u:p@x.example", "x.example"])
def test_a_public_url_that_is_not_an_origin_is_refused_naming_the_setting(bad):
    with pytest.raises(ConfigurationError, match=r"^HOOKS_API_PUBLIC_URL: "):
        Settings.from_env({"HOOKS_API_PUBLIC_URL": bad})
    with pytest.raises(ConfigurationError, match=r"^HOOKS_API_FORWARDED_ALLOW_IPS: 'proxy'"):
        Settings.from_env({"HOOKS_API_FORWARDED_ALLOW_IPS": "10.0.0.0/8, proxy"})


def test_x_forwarded_proto_is_believed_only_from_the_forwarded_allow_ips(hooks_env, start_api, api_server):
    https = {"X-Forwarded-Proto": "https"}
    trusted = httpx.get(api_server + "/ui/login", headers=https)  # from 127.0.0.1, the default
    assert trusted.headers["set-cookie"].startswith("__Host-hooks_login_csrf=")
    other = start_api({**hooks_env, "HOOKS_API_FORWARDED_ALLOW_IPS": "10.9.9.9"})
    assert httpx.get(other + "/ui/login", headers=https).headers["set-cookie"].startswith("hooks_login_csrf=")
