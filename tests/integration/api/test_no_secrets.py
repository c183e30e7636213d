"""No answer to a read-only key or session shows a webhook's secrets (issue 20): every GET route of the app (read
from app.routes, so a new route is crawled too) with a webhook whose URL, headers, auth and signing secrets
(current, rotated and ed25519) are secret, with a delivered delivery, a dead-lettered one and their events; and a
second webhook with an mTLS client key, an OAuth2 client secret and a cached OAuth2 token (issue 21)."""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from hooks import create_webhook, publish_event
from hooks.api.app import create_app
from hooks.catalogue import add_event_type
from hooks.models.webhook import generate_secret, generate_signing_key, mask, masked_url
from hooks.registry.webhooks import rotate_secret
from hooks.settings import get_settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.conftest import wait_for
from tests.integration.api.test_dashboard_session import login
from tests.support.certs import CA
from tests.support.portal import sign_in
from workers.attempt import oauth2

QUERY_TOKEN = "Qt7SECRETTOKEN-in-the-query-0001"
HEADER_VALUE = "Hv3SECRETHEADER-value-0002"
PASSWORD = "Pw5SECRETPASSWORD-0003"
CLIENT_SECRET = "Os7SECRETCLIENT-secret-0004"
CACHED_TOKEN = "Tk9SECRETCACHEDTOKEN-0005"
PROXY_PASSWORD = "Px6SECRETPROXYPASSWORD-0004"  # HOOKS_EGRESS_PROXY_URL's: a setting no page may show either
SLACK_TOKEN = "Sl8SECRETSLACKPATHTOKEN0006"  # a Slack-like URL carries its credential in the path
PATH = f"/s?token={QUERY_TOKEN}&tenant=acme"  # the receiver's scripts go by path and query


def test_masks_show_the_last_four_characters_of_a_long_secret_only():
    assert mask("abcdefghijklmnopqrs") == "…" and mask("abcdefghijklmnopqrst") == "…qrst"
    assert mask("whsec_" + "A" * 40 + "wxyz") == "whsec_…wxyz" and mask("whsk_short") == "whsk_…"
    assert masked_url("https://x.example/h?token=" + "t" * 16 + "wxyz&a=1#f") == "https://x.example/h?token=…wxyz&a=…#…"
    slack, discord = "https://hooks.slack.com/services/T000/B000/" + "X" * 24, "https://d.example/api/webhooks/1234/"
    assert masked_url(slack) == "https://hooks.slack.com/services/T000/B000/…XXXX"
    assert (
        masked_url(discord + "a1B2" * 17) == discord + "…a1B2"
        and masked_url(discord + "abc123def456ghi7") == discord + "…"
    )
    assert (
        masked_url("https://x.example/content-types-webhook-handler/v1")
        == "https://x.example/content-types-webhook-handler/v1"
    )


def _seed(receiver) -> tuple[dict[str, str], list[str]]:
    """The webhook and its history; returns the ids to put in paths and every secret value."""
    receiver.script(PATH, [(500, 0.0, {})])
    first = generate_secret()
    wh = create_webhook(receiver.url + PATH, ["crawl.#"], secret=first,
                        headers={"X-Api-Key": HEADER_VALUE}, auth={"type": "basic", "username": "alice",
                        "password": PASSWORD}, signing_key=generate_signing_key(), retry_policy="manual")  # fmt: skip
    wh = rotate_secret(wh.id, grace_s=3600, new_secret=generate_secret())
    dead_event = publish_event("crawl.dead", {"n": 1})
    client = CA().client("crawler")
    creds = create_webhook("https://127.0.0.1:9/never", ["never.sent"], client_cert=client.cert_pem,
                           client_key=client.key_pem, oauth2={"token_url": "http://127.0.0.1:9/token",
                           "client_id": "crawler", "client_secret": CLIENT_SECRET})  # fmt: skip
    assert creds.oauth2 is not None
    slack = create_webhook(f"https://127.0.0.1:9/services/T000/B000/{SLACK_TOKEN}", ["never.sent"])  # default name
    settings = get_settings()
    oauth2.store(get_redis(settings), Keys(settings).oauth2_token(creds.id), oauth2.settings_digest(creds.oauth2),
                 (CACHED_TOKEN, 3600), settings)  # fmt: skip
    key_material = "".join(client.key_pem.splitlines()[1:-1])[-40:]
    add_event_type("crawl.dead", description="A crawl's event.", example={"n": 1})  # /v1/event-types/{name}
    return {"webhook_id": wh.id, "event_id": dead_event, "creds_id": creds.id, "slack_id": slack.id,
            "name": "crawl.dead"}, [
        QUERY_TOKEN, HEADER_VALUE, PASSWORD, first, wh.secret, wh.signing_key or "", CLIENT_SECRET, CACHED_TOKEN,
        key_material, SLACK_TOKEN]  # fmt: skip


def _paths(app, ids: dict[str, str]) -> list[str]:
    """Every GET route of the app (routers included), path parameters filled in (one we cannot fill fails here);
    not the dashboard's catch-all 404 page, nor the portal's sign-in (it takes a link's token)."""
    return [re.sub(r"\{(\w+)\}", lambda m: ids[m[1]], route.path) for route in iter_route_contexts(app.routes)
            if "GET" in (getattr(route, "methods", None) or ()) and ":path}" not in route.path
            and route.path != "/portal/login"]  # fmt: skip


def test_no_route_shows_a_secret_to_a_read_only_key_or_session(settings, read_key, receiver, worker):
    ids, secrets = _seed(receiver)
    app = create_app(settings.model_copy(update={"egress_proxy_url": f"http://hooks:{PROXY_PASSWORD}@127.0.0.1:9"}))
    secrets.append(PROXY_PASSWORD)
    with TestClient(app, headers={"Authorization": f"Bearer {read_key}"}) as client:
        dead = wait_for(lambda: client.get("/v1/dlq").json()["items"], what="the delivery to be dead-lettered")
        receiver.script(PATH, [(204, 0.0, {})])
        event_id = publish_event("crawl.ok", {"n": 2})
        wait_for(lambda: client.get(f"/v1/events/{event_id}").json()["state"] == "finished", what="a delivery")
        ids["delivery_id"] = dead[0]["id"]
        login(client, read_key)
        sign_in(client, "default")  # the portal's pages, as the seeded webhooks' stack's customer sees them
        seen = {}
        for path in _paths(app, ids):
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            seen[path] = r.text
        seen["/v1/deliveries?event_id=" + event_id] = client.get("/v1/deliveries", params={"event_id": event_id}).text
        for path in ("/v1/webhooks/", "/ui/webhooks/"):
            for wid in (ids["creds_id"], ids["slack_id"]):
                seen[path + wid] = client.get(path + wid).text
    assert {"/v1/webhooks/" + ids["webhook_id"], "/ui/webhooks/" + ids["webhook_id"], "/v1/dlq", "/ui/dlq",
            "/v1/deliveries/" + ids["delivery_id"], "/ui/deliveries/" + ids["delivery_id"],
            "/portal/endpoints/" + ids["webhook_id"]} <= set(seen)  # fmt: skip
    for secret in secrets:
        shown = secret.removeprefix("whsec_").removeprefix("whsk_")
        for path, text in seen.items():
            assert shown not in text and shown[:5] not in text, (path, shown[:5])
    shown_webhook = seen["/v1/webhooks/" + ids["webhook_id"]]
    assert "token=…0001" in shown_webhook and "…0002" in shown_webhook and "…0003" in shown_webhook
    assert "token=…0001" in seen["/ui/webhooks/" + ids["webhook_id"]]
    for page in (
        seen["/v1/webhooks/" + ids["slack_id"]],
        seen["/ui/webhooks/" + ids["slack_id"]],
        seen["/v1/webhooks"],
    ):
        assert "/services/T000/B000/…0006" in page
    for page in (seen["/v1/webhooks/" + ids["creds_id"]], seen["/ui/webhooks/" + ids["creds_id"]]):
        assert "CN=crawler" in page and "…0004" in page
