"""The one-time secret page and the dashboard's secret rotation, through the app's own client: post, redirect,
get; the secret shown once, to the session that made it, never cached; a rotation needs its confirmation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

import hooks
from hooks.api.app import create_app
from tests.integration.api.test_dashboard_session import login, token

FORM = {"url": "https://example.com/hooks", "events": "once.#", "name": "once"}


def add(client: TestClient):
    """Send the dashboard's "Add a webhook" form; the 303 answer (not followed)."""
    form = client.get("/ui/webhooks")
    return client.post("/ui/webhooks", data={**FORM, "csrf": token(form.text)}, follow_redirects=False)


def shown_secret(html: str) -> str | None:
    found = re.search(r'<code id="secret">([^<]+)</code>', html)
    return found[1] if found else None


def test_adding_a_webhook_redirects_to_a_page_that_shows_its_secret_once(settings, write_key):
    with TestClient(create_app(settings)) as client:
        login(client, write_key)
        r = add(client)
        (webhook,) = hooks.list_webhooks()
        assert r.status_code == 303 and r.headers["location"] == f"/ui/webhooks/{webhook.id}/secret"
        assert webhook.secret not in r.headers["location"] + r.text
        first = client.get(r.headers["location"])
        assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
        assert shown_secret(first.text) == webhook.secret
        again = client.get(r.headers["location"])  # a reload, or Back
        assert webhook.secret not in again.text and "shown-already" in again.text and "rotate" in again.text
        assert again.headers["cache-control"] == "no-store" and len(hooks.list_webhooks()) == 1


def test_another_session_never_sees_the_secret(settings, write_key):
    with TestClient(create_app(settings)) as creator, TestClient(create_app(settings)) as other:
        login(creator, write_key)
        login(other, write_key)  # the same key, another login
        where = add(creator).headers["location"]
        assert shown_secret(other.get(where).text) is None
        assert shown_secret(creator.get(where).text) == hooks.list_webhooks()[0].secret


def test_rotating_needs_the_confirmation_and_shows_the_new_secret_once(settings, write_key, read_key):
    webhook = hooks.create_webhook("https://example.com/hooks", ["once.#"], name="rotate me")
    here = f"/ui/webhooks/{webhook.id}"
    with TestClient(create_app(settings)) as client:
        login(client, write_key)

        def rotate(**fields: str):
            page = client.get(here)
            return client.post(f"{here}/rotate-secret", data={"csrf": token(page.text), **fields})

        assert "not rotated: tick" in rotate(grace_hours="2").text
        assert "grace_hours: must be a number" in rotate(grace_hours="soon", confirm="yes").text
        assert "grace: must be between" in rotate(grace_hours="1000", confirm="yes").text
        assert hooks.get_webhook(webhook.id).secret == webhook.secret
        done = rotate(grace_hours="2", confirm="yes")
        rotated = hooks.get_webhook(webhook.id)
        assert done.url.path == f"{here}/secret" and shown_secret(done.text) == rotated.secret != webhook.secret
        assert "keeps signing too for 2 h" in done.text
        (old,) = rotated.old_secrets
        assert old.secret == webhook.secret
        assert shown_secret(client.get(f"{here}/secret").text) is None
    with TestClient(create_app(settings)) as reader:
        login(reader, read_key)
        page = reader.get(here)
        assert "rotate-secret" not in page.text  # no write button for a read-only login
        refused = reader.post(f"{here}/rotate-secret", data={"csrf": token(page.text), "confirm": "yes"})
        assert refused.status_code == 403 and hooks.get_webhook(webhook.id).secret == rotated.secret


def test_only_a_navigation_uses_the_secret_page_up_not_an_image_a_fetch_or_a_head(settings, write_key):
    with TestClient(create_app(settings)) as client:
        login(client, write_key)
        where = add(client).headers["location"]
        for dest in ("image", "script", "iframe", "empty"):  # a same-site <img src=.../secret> and the like
            r = client.get(where, headers={"Sec-Fetch-Dest": dest, "Sec-Fetch-Site": "same-site"})
            assert r.status_code == 200 and shown_secret(r.text) is None, dest
        head = client.head(where)
        assert head.status_code == 200 and head.headers["cache-control"] == "no-store" and not head.content
        first = client.get(where, headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"})
        assert shown_secret(first.text) == hooks.list_webhooks()[0].secret
        assert shown_secret(client.get(where).text) is None  # then it is used up
