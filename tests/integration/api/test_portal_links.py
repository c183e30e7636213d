"""Portal sign-in links from Python (`hooks.portal_url`), the API (`POST /v1/portal-links`) and the CLI
(`hooks portal-link`): single-use, expiring, bound to one stack; the session cookie's attributes."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

import hooks
from hooks.api.apikeys import create_key
from hooks.api.app import create_app
from hooks.errors import ConfigurationError, ValidationError
from hooks.portal.keys import PortalKeys, token_hash
from hooks.settings import reset_settings
from hooks.store.connection import get_redis
from tests.support.portal import NAVIGATE, csrf, link, sign_in

PUBLIC = "https://hooks.example.com"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_portal_url_is_a_single_use_link_that_signs_in_to_its_stack_only(settings):
    public = settings.model_copy(update={"api_public_url": PUBLIC})  # the link's; the app is reached over http
    url = hooks.portal_url("acme", ttl_s=300, user="ada@acme.test", settings=public)
    assert url.startswith(f"{PUBLIC}/portal/login?token=")
    with TestClient(create_app(settings)) as client:
        r = client.get(_path(url), headers=NAVIGATE, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/portal/"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("hooks_portal=") and "HttpOnly" in cookie and "Path=/portal" in cookie
        assert "SameSite=lax" in cookie and "Max-Age=3600" in cookie
        home = client.get("/portal/")
        assert home.status_code == 200 and "acme" in home.text and "ada@acme.test" in home.text
    with TestClient(create_app(settings)) as other:
        again = other.get(_path(url), headers=NAVIGATE, follow_redirects=False)
        assert again.status_code == 410 and "This link was used or has expired" in again.text
        assert "set-cookie" not in again.headers
        assert other.get("/portal/").status_code == 401


def test_an_expired_or_unknown_link_is_refused_with_the_410_page(settings):
    url = link("acme", ttl_s=60)
    get_redis(settings).pexpire(PortalKeys(settings).link(token_hash(url.rsplit("=", 1)[1])), 1)
    with TestClient(create_app(settings)) as client:
        for path in (_path(url), "/portal/login?token=nope", "/portal/login"):
            r = client.get(path, headers=NAVIGATE, follow_redirects=False)
            assert r.status_code == 410 and "ask the app that sent you here for a new one" in r.text, path
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_only_a_navigation_uses_a_link_up(settings):
    url = link("acme")
    with TestClient(create_app(settings)) as client:
        assert client.get(_path(url), headers={"Sec-Fetch-Dest": "image"}).status_code == 400
        assert client.get(_path(url), headers={"Sec-Fetch-Dest": "iframe"}, follow_redirects=False).status_code == 303


def test_portal_url_without_a_public_url_says_which_setting_is_missing(settings):
    with pytest.raises(ConfigurationError, match="HOOKS_API_PUBLIC_URL: not set"):
        hooks.portal_url("acme")


@pytest.mark.parametrize(("options", "message"), [
    ({"ttl_s": 59}, "ttl_s: must be from 60 to 86400 seconds, got 59."),
    ({"ttl_s": 86401}, "ttl_s: must be from 60 to 86400 seconds, got 86401."),
    ({"ttl_s": "600"}, "ttl_s: expected a number of seconds, got str."),
    ({"session_ttl_s": 10}, "session_ttl_s: must be from 60 to 86400 seconds, got 10."),
    ({"user": "a\nb"}, "user: must be printable text of at most 200 characters."),
    ({"logo_url": "javascript:alert(1)"}, "logo_url: must be an https URL of an image"),
    ({"primary_color": "red"}, "primary_color: must be a color as #rrggbb, such as #7c3aed."),
])  # fmt: skip
def test_link_options_are_checked_with_one_sentence_naming_the_field(settings, options, message):
    reset_settings(settings.model_copy(update={"api_public_url": PUBLIC}))
    with pytest.raises(ValidationError) as caught:
        hooks.portal_url("acme", **options)
    assert str(caught.value).startswith(message)


def test_a_bad_stack_name_is_refused(settings):
    reset_settings(settings.model_copy(update={"api_public_url": PUBLIC}))
    with pytest.raises(ValidationError, match="^stack: must be 1-64 characters"):
        hooks.portal_url("a b")


def test_the_api_makes_a_link_for_a_read_write_key_and_its_own_stack_only(settings, write_key, read_key):
    bound = create_key("acme backend", stack="acme")[1]
    with TestClient(create_app(settings)) as client:

        def ask(key: str, **body: object):
            return client.post("/v1/portal-links", json=body, headers={"Authorization": f"Bearer {key}"})

        made = ask(write_key, stack="acme", ttl_s=120, user="ada")
        assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
        data = made.json()
        assert data["url"].startswith("http://testserver/portal/login?token=") and data["stack"] == "acme"
        assert data["expires_at"].endswith("Z") and data["user"] == "ada"
        assert ask(bound, stack="acme").status_code == 201
        assert ask(bound).json()["stack"] == "acme"  # a bound key's own stack by default
        other = ask(bound, stack="globex")
        assert other.status_code == 422 and other.json()["field"] == "stack", other.json()
        unnamed = ask(write_key)
        assert unnamed.status_code == 422 and unnamed.json()["detail"].startswith("stack: name the stack")
        assert ask(read_key, stack="acme").status_code == 403
        bad = ask(write_key, stack="acme", ttl_s=5)
        assert bad.status_code == 422 and bad.json()["field"] == "ttl_s", bad.json()
        assert client.get(_path(data["url"]), headers=NAVIGATE, follow_redirects=False).status_code == 303
        assert "acme" in client.get("/portal/").text


def test_the_api_link_uses_the_public_url_when_it_is_set(settings, write_key):
    reset_settings(settings.model_copy(update={"api_public_url": PUBLIC}))
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {write_key}"}) as client:
        url = client.post("/v1/portal-links", json={"stack": "acme"}).json()["url"]
    assert url.startswith(f"{PUBLIC}/portal/login?token=")


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hooks.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.slow
def test_the_cli_prints_a_link_and_refuses_bad_values_in_one_sentence(settings, hooks_env):
    env = {**hooks_env, "HOOKS_API_PUBLIC_URL": PUBLIC}
    made = _cli("portal-link", "--stack", "acme", "--ttl-s", "120", "--user", "ada", "--json", env=env)
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    assert data["url"].startswith(f"{PUBLIC}/portal/login?token=") and data["stack"] == "acme"
    with TestClient(create_app(settings)) as client:
        assert client.get(_path(data["url"]), headers=NAVIGATE, follow_redirects=False).status_code == 303
    bad = _cli("portal-link", "--stack", "acme", "--ttl-s", "5", env=env)
    assert bad.returncode == 2 and "ttl_s: must be from 60 to 86400 seconds, got 5." in bad.stderr
    unset = _cli("portal-link", "--stack", "acme", env=hooks_env)
    assert unset.returncode != 0 and "HOOKS_API_PUBLIC_URL: not set" in unset.stderr


def test_a_form_without_the_session_token_or_from_another_origin_is_refused(settings):
    with TestClient(create_app(settings)) as client:
        sign_in(client, "acme")
        form = {"url": "https://example.com/in", "patterns": "a.b"}
        assert client.post("/portal/endpoints", data=form).status_code == 403
        token = csrf(client.get("/portal/endpoints/new").text)
        cross = client.post("/portal/endpoints", data={**form, "csrf": token},
                            headers={"Origin": "http://127.0.0.1:9", "Sec-Fetch-Site": "same-site"})  # fmt: skip
        assert cross.status_code == 403 and "another site" in cross.text
        assert hooks.list_webhooks(stack="acme") == []


def test_the_https_cookie_is_host_only_secure_partitioned_and_samesite_none_for_cross_site_iframes(settings):
    reset_settings(settings.model_copy(update={"api_public_url": PUBLIC}))
    with TestClient(create_app(settings), base_url=PUBLIC) as client:
        r = client.get(_path(link("acme", base=PUBLIC)), headers=NAVIGATE, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-hooks_portal=") and "Secure" in cookie and "Partitioned" in cookie
    assert "SameSite=none" in cookie and "HttpOnly" in cookie and "Path=/;" in cookie and "Domain" not in cookie


def test_a_link_may_bring_its_own_color_and_logo_whose_origin_alone_joins_img_src(settings):
    with TestClient(create_app(settings)) as client:
        sign_in(client, "acme", primary_color="#112233", logo_url="https://cdn.acme.test/logo.svg")
        home = client.get("/portal/")
        assert 'href="/portal/theme.css?c=112233"' in home.text and 'src="https://cdn.acme.test/logo.svg"' in home.text
        assert "img-src 'self' data: https://cdn.acme.test;" in home.headers["content-security-policy"]
        assert client.get("/portal/theme.css?c=112233").text == ":root { --accent: #112233; }\n"
        assert "--accent" not in client.get("/portal/theme.css?c=;}body{x").text


def test_sign_out_ends_the_session_clears_the_cookie_and_says_so(settings):
    with TestClient(create_app(settings)) as client:
        sign_in(client, "acme", user="ada@acme.test")
        home = client.get("/portal/").text
        assert 'action="/portal/sign-out"' in home and "Sign out" in home
        token = client.cookies["hooks_portal"]
        refused = client.post("/portal/sign-out", data={"csrf": "stale"}, follow_redirects=False)
        assert refused.status_code == 403 and client.get("/portal/").status_code == 200
        cross = client.post("/portal/sign-out", data={"csrf": csrf(home)}, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403 and client.get("/portal/").status_code == 200
        out = client.post("/portal/sign-out", data={"csrf": csrf(home)}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/portal/signed-out"
        cookie = out.headers["set-cookie"]
        assert cookie.startswith('hooks_portal="";') and "Max-Age=0" in cookie and "Path=/portal" in cookie
        bye = client.get(out.headers["location"])
        assert bye.status_code == 200 and "You are signed out" in bye.text and "ada@acme.test" not in bye.text
        assert 'action="/portal/sign-out"' not in bye.text
        client.cookies.set("hooks_portal", token, path="/portal")  # a copy of the old cookie opens nothing
        assert client.get("/portal/").status_code == 401


def test_the_https_sign_out_clears_the_partitioned_cookie(settings):
    reset_settings(settings.model_copy(update={"api_public_url": PUBLIC}))
    with TestClient(create_app(settings), base_url=PUBLIC) as client:
        client.get(_path(link("acme", base=PUBLIC)), headers=NAVIGATE)
        out = client.post("/portal/sign-out", data={"csrf": csrf(client.get("/portal/").text)}, follow_redirects=False)
    cookie = out.headers["set-cookie"]
    assert cookie.startswith('__Host-hooks_portal="";') and "Max-Age=0" in cookie and "Partitioned" in cookie
    assert "Secure" in cookie and "SameSite=none" in cookie and "Path=/;" in cookie
