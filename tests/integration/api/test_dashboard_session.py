"""The dashboard's login, session cookie and CSRF checks, through the app's own client."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hooks.api.apikeys import revoke_key
from hooks.api.app import create_app


def token(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]  # type: ignore[index]


def login(client: TestClient, key: str):
    page = client.get("/ui/login")
    return client.post("/ui/login", data={"key": key, "csrf": token(page.text)}, follow_redirects=False)


def test_login_sets_an_httponly_strict_session_cookie_and_logout_ends_it(settings, write_key):
    with TestClient(create_app(settings)) as client:
        assert client.get("/ui/", follow_redirects=False).headers["location"] == "/ui/login"
        r = login(client, write_key)
        assert r.status_code == 303 and r.headers["location"] == "/ui/"
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("hooks_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
        assert write_key not in cookie
        home = client.get("/ui/")
        assert home.status_code == 200 and "Overview" in home.text
        assert client.post("/ui/logout", data={"csrf": token(home.text)}, follow_redirects=False).status_code == 303
        assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_a_login_form_without_its_token_is_refused(settings, write_key):
    with TestClient(create_app(settings)) as client:
        r = client.post("/ui/login", data={"key": write_key, "csrf": "forged"}, follow_redirects=False)
        assert r.status_code == 403 and "hooks_session" not in r.headers.get("set-cookie", "")


def test_forms_need_the_sessions_token_and_a_read_write_key(settings, read_key, write_key):
    with TestClient(create_app(settings)) as client:
        login(client, read_key)
        home = client.get("/ui/publish")
        assert client.post("/ui/publish", data={"event_type": "a.b", "csrf": "x"}).status_code == 403
        refused = client.post("/ui/publish", data={"event_type": "a.b", "csrf": token(home.text)})
        assert refused.status_code == 403 and "read-only" in refused.text
    with TestClient(create_app(settings)) as client:
        login(client, write_key)
        page = client.get("/ui/publish")
        done = client.post("/ui/publish", data={"event_type": "a.b", "data": "{}", "csrf": token(page.text)})
        assert done.status_code == 200 and "published evt_" in done.text


def test_revoking_the_key_ends_its_sessions(settings, write_key):
    with TestClient(create_app(settings)) as client:
        login(client, write_key)
        assert client.get("/ui/", follow_redirects=False).status_code == 200
        revoke_key(write_key.split("_")[1])
        assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_an_unknown_webhook_is_a_page_in_the_dashboard_and_a_problem_in_the_api(settings, write_key):
    with TestClient(create_app(settings)) as client:
        login(client, write_key)
        page = client.get("/ui/webhooks/wh_01J00000000000000000000000")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "does not exist" in page.text
        api = client.get("/v1/webhooks/wh_01J00000000000000000000000", headers={"Authorization": f"Bearer {write_key}"})
        assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
