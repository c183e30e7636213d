"""The portal's endpoints pages through the app's own client: add (catalogue types, headers, auth), the secret
once, edit without re-typing secrets, disable/enable, rotate and delete only when confirmed, errors on the form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

import hooks
from hooks.api.app import create_app
from hooks.catalogue import add_event_type
from hooks.models.webhook import mask
from tests.support.portal import csrf, sign_in


def _add(client: TestClient, **form: str):
    token = csrf(client.get("/portal/endpoints/new").text)
    return client.post("/portal/endpoints", data={"csrf": token, **form}, follow_redirects=False)


def test_add_an_endpoint_from_the_catalogue_with_headers_and_auth_and_see_its_secret_once(settings):
    add_event_type("entries.publish", description="An entry was published.", example={"entry": {"uid": "e1"}})
    with TestClient(create_app(settings)) as client:
        sign_in(client, "acme")
        new = client.get("/portal/endpoints/new").text
        assert "entries.publish" in new and "An entry was published." in new and "&#34;uid&#34;" in new
        r = _add(client, url="https://example.com/in?key=sekret-value-0123456789", name="mine",
                 types="entries.publish", patterns="other.*", headers="X-Api-Key: header-secret-0123456789",
                 auth_type="bearer", token="bearer-secret-0123456789")  # fmt: skip
        assert r.status_code == 303 and r.headers["location"].endswith("/secret")
        (made,) = hooks.list_webhooks(stack="acme")
        assert made.events == ["entries.publish", "other.*"] and made.headers == {
            "X-Api-Key": "header-secret-0123456789"
        }
        assert made.auth is not None and made.auth.token == "bearer-secret-0123456789"  # type: ignore[union-attr]
        for dest, site in (("image", "same-origin"), ("iframe", "same-site"), ("iframe", "cross-site")):
            peek = client.get(r.headers["location"], headers={"Sec-Fetch-Dest": dest, "Sec-Fetch-Site": site})
            assert made.secret not in peek.text, (dest, site)  # not shown, and still kept for the navigation
        first = client.get(r.headers["location"])
        assert made.secret in first.text and first.headers["cache-control"] == "no-store"
        again = client.get(r.headers["location"])
        assert made.secret not in again.text and "Secret already shown" in again.text
        page = client.get(f"/portal/endpoints/{made.id}").text
        for secret in (made.secret, "sekret-value-0123456789", "header-secret-0123456789", "bearer-secret-0123456789"):
            assert secret not in page
        assert mask(made.secret) in page
        listing = client.get("/portal/").text
        assert "mine" in listing and "enabled" in listing and "healthy" in listing


def test_edit_keeps_secret_values_left_blank_and_shows_a_refused_value_on_the_form(settings):
    with TestClient(create_app(settings)) as client:
        sign_in(client, "acme")
        _add(client, url="https://example.com/in", patterns="a.b", headers="X-Key: kept-value",
             auth_type="basic", username="u", password="kept-password")  # fmt: skip
        (made,) = hooks.list_webhooks(stack="acme")
        page = client.get(f"/portal/endpoints/{made.id}").text
        form = {"csrf": csrf(page), "url": made.masked_url, "patterns": "a.b c.d", "headers": "X-Key:\n",
                "auth_type": "basic", "username": "u", "name": "renamed"}  # fmt: skip
        r = client.post(f"/portal/endpoints/{made.id}/edit", data=form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("?done=saved")
        saved = hooks.get_webhook(made.id)
        assert saved.events == ["a.b", "c.d"] and saved.headers == {"X-Key": "kept-value"} and saved.name == "renamed"
        assert saved.auth is not None and saved.auth.password == "kept-password"  # type: ignore[union-attr]
        assert "Endpoint saved." in client.get(r.headers["location"]).text
        bad = client.post(f"/portal/endpoints/{made.id}/edit", data={**form, "url": "ftp://x"})
        assert bad.status_code == 422 and re.search(r"Not saved: url: ", bad.text)
        none = client.post(f"/portal/endpoints/{made.id}/edit", data={**form, "patterns": ""})
        assert none.status_code == 422 and "events: tick at least one event type" in none.text
        assert hooks.get_webhook(made.id).url == "https://example.com/in"


def test_disable_enable_rotate_and_delete_ask_for_confirmation(settings):
    with TestClient(create_app(settings)) as client:
        sign_in(client, "acme")
        _add(client, url="https://example.com/in", patterns="a.b")
        (made,) = hooks.list_webhooks(stack="acme")
        token = csrf(client.get(f"/portal/endpoints/{made.id}").text)
        base = f"/portal/endpoints/{made.id}"
        client.post(f"{base}/disable", data={"csrf": token})
        assert not hooks.get_webhook(made.id).enabled
        client.post(f"{base}/enable", data={"csrf": token})
        assert hooks.get_webhook(made.id).enabled
        assert "Not rotated" in client.post(f"{base}/rotate-secret", data={"csrf": token}).text
        assert hooks.get_webhook(made.id).secret == made.secret
        bad = client.post(f"{base}/rotate-secret", data={"csrf": token, "confirm": "yes", "grace_hours": "nan"})
        assert bad.status_code == 422 and "grace_hours: must be a number of hours from 0 to 720." in bad.text
        rotated = client.post(f"{base}/rotate-secret", data={"csrf": token, "confirm": "yes", "grace_hours": "1"})
        new_secret = hooks.get_webhook(made.id).secret
        assert new_secret != made.secret and new_secret in rotated.text and "1 h" in rotated.text
        assert "Not deleted" in client.post(f"{base}/delete", data={"csrf": token}).text
        gone = client.post(f"{base}/delete", data={"csrf": token, "confirm": "yes"})
        assert "Endpoint deleted." in gone.text and hooks.list_webhooks(stack="acme") == []
        missing = client.get(base)
        assert missing.status_code == 404 and f"endpoint {made.id} does not exist." in missing.text


def test_without_a_session_every_page_says_to_open_a_new_link(settings):
    with TestClient(create_app(settings)) as client:
        for path in ("/portal/", "/portal/endpoints/new", "/portal/endpoints/wh_00000000000000000000000000"):
            r = client.get(path)
            assert r.status_code == 401 and "open it again from the app that sent you here" in r.text, path


def test_the_endpoint_page_links_to_its_deliveries_and_its_test_event_page(settings):
    with TestClient(create_app(settings)) as client:
        sign_in(client, "acme")
        _add(client, url="https://example.com/in", patterns="a.b")
        (made,) = hooks.list_webhooks(stack="acme")
        page = client.get(f"/portal/endpoints/{made.id}").text
        deliveries = re.search(r'href="([^"]+)" id="endpoint-deliveries"', page)
        test = re.search(r'href="([^"]+)" id="endpoint-test"', page)
        assert deliveries and test
        assert deliveries[1] == f"/portal/deliveries?endpoint={made.id}"
        assert test[1] == f"/portal/endpoints/{made.id}/test"
        for href in (deliveries[1], test[1]):  # both lead to a page of this endpoint
            r = client.get(href)
            assert r.status_code == 200 and made.id in r.text, href


def test_an_unknown_portal_path_is_the_portals_own_404_page_with_its_navigation(settings):
    with TestClient(create_app(settings)) as client:
        anonymous = client.get("/portal/no/such/page")
        assert anonymous.status_code == 404 and anonymous.headers["content-type"].startswith("text/html")
        assert "There is no page at /portal/no/such/page." in anonymous.text and 'href="/portal/deliveries"' not in (
            anonymous.text
        )
        assert "default-src 'none'" in anonymous.headers["content-security-policy"]
        sign_in(client, "acme")
        for r in (client.get("/portal/no/such/page"), client.post("/portal/nothing-here", data={"a": "b"})):
            assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), r.text[:200]
            assert "<h1>Not found</h1>" in r.text and 'href="/portal/deliveries"' in r.text
            assert 'action="/portal/sign-out"' in r.text
        escaped = client.get("/portal/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        assert escaped.status_code == 404 and "<script>alert" not in escaped.text
