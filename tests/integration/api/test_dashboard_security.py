"""The dashboard's defences against other origins, through the app's own client: the login form's token cannot
be planted (cookie tossing) nor its POST sent from another origin, cookies are `__Host-` over https, and the
note of an action comes from the server (a signed flash), never from the URL or a cookie another origin set."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from hooks.api.app import create_app
from tests.integration.api.test_dashboard_session import login, token


def test_a_login_token_planted_in_a_tossed_cookie_does_not_verify(settings, write_key):
    with TestClient(create_app(settings)) as client:
        r = client.post("/ui/login", data={"key": write_key, "csrf": "T"}, headers={"Cookie": "hooks_login_csrf=T"},
                        follow_redirects=False)  # fmt: skip
        assert r.status_code == 403 and "hooks_session" not in r.headers.get("set-cookie", "")
        assert client.get("/ui/", follow_redirects=False).headers["location"] == "/ui/login"


def test_a_login_or_a_form_sent_from_another_origin_is_refused(settings, write_key):
    with TestClient(create_app(settings)) as client:
        for other in ({"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"},
                      {"Origin": "http://testserver:8001"}, {"Origin": "null"}):  # fmt: skip
            form = client.get("/ui/login")
            r = client.post("/ui/login", data={"key": write_key, "csrf": token(form.text)}, headers=other,
                            follow_redirects=False)  # fmt: skip
            assert r.status_code == 403 and "own login page" in r.text, other
            assert "hooks_session" not in r.headers.get("set-cookie", "")
        form = client.get("/ui/login")
        own = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
        r = client.post("/ui/login", data={"key": write_key, "csrf": token(form.text)}, headers=own,
                        follow_redirects=False)  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == "/ui/"
        page = client.get("/ui/publish")
        sent = client.post("/ui/publish", data={"event_type": "a.b", "data": "{}", "csrf": token(page.text)},
                           headers={"Sec-Fetch-Site": "same-site"})  # fmt: skip
        assert sent.status_code == 403 and "another site" in sent.text


def test_over_https_the_cookies_are_host_prefixed_and_secure(settings, write_key):
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        form = client.get("/ui/login")
        assert form.headers["set-cookie"].startswith("__Host-hooks_login_csrf=")
        r = login(client, write_key)
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-hooks_session="))
        assert "Secure" in cookie and "Path=/;" in cookie and "HttpOnly" in cookie and "Domain" not in cookie
        assert client.get("/ui/", follow_redirects=False).status_code == 200


INJECTED = "Security notice: get yours at https://evil.example/keys"


def publish(client: TestClient, event_type: str, **kwargs):
    form = client.get("/ui/publish")
    return client.post("/ui/publish", data={"event_type": event_type, "data": "{}", "csrf": token(form.text)},
                       **kwargs)  # fmt: skip


def test_a_note_comes_from_the_server_once_never_from_the_url(settings, write_key):
    with TestClient(create_app(settings)) as client:
        assert "evil.example" not in client.get("/ui/login", params={"note": INJECTED}).text
        login(client, write_key)
        assert "evil.example" not in client.get("/ui/publish", params={"note": INJECTED}).text
        done = publish(client, "notes.first")
        assert done.url.path == "/ui/publish" and "published evt_" in done.text  # the action's note, once
        assert "published evt_" not in client.get("/ui/publish").text  # a reload does not show it again


def test_a_tossed_or_forged_note_cookie_is_not_shown(settings, write_key):
    with TestClient(create_app(settings)) as attackers, TestClient(create_app(settings)) as victims:
        login(attackers, write_key)
        redirect = publish(attackers, "notes.attack", follow_redirects=False)
        signed_for_another_session = redirect.cookies["hooks_note"]
        login(victims, write_key)
        session = victims.cookies["hooks_session"]
        encoded = base64.urlsafe_b64encode(INJECTED.encode()).decode()
        for tossed in (encoded, f"{encoded}.{'0' * 64}", signed_for_another_session):
            page = victims.get("/ui/publish", headers={"Cookie": f"hooks_session={session}; hooks_note={tossed}"})
            assert page.status_code == 200 and 'class="note"' not in page.text, tossed
        own = publish(victims, "notes.own", follow_redirects=False).cookies["hooks_note"]  # the same way, its own
        shown = victims.get("/ui/publish", headers={"Cookie": f"hooks_session={session}; hooks_note={own}"})
        assert 'class="note"' in shown.text and "published evt_" in shown.text
