"""An unexpected error (a 500) is one problem answer and one traceback in the log, and the client's keep-alive
connection stays usable (issue 20): a real uvicorn process, a webhook record corrupted in Redis."""

from __future__ import annotations

import http.client
import logging
from urllib.parse import urlsplit

from hooks import create_webhook
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.conftest import wait_for

TRACEBACK = "Traceback (most recent call last)"


def corrupted_webhook(settings) -> str:
    """A webhook whose stored record no longer parses (as a hand edit or a bad migration would leave it)."""
    wh = create_webhook("http://127.0.0.1:9/x", ["a"])
    get_redis(settings).set(Keys(settings).webhook(wh.id), b'{"id": "' + wh.id.encode() + b'"}')
    return wh.id


def test_after_a_500_the_connection_is_usable_and_the_traceback_logged_once(start_api, hooks_env, settings,
                                                                             write_key, log_dir):  # fmt: skip
    url = start_api(hooks_env)
    webhook_id = corrupted_webhook(settings)
    conn = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=10)
    auth = {"Authorization": f"Bearer {write_key}"}
    conn.request("GET", f"/v1/webhooks/{webhook_id}", headers=auth)
    failed = conn.getresponse()
    body = failed.read()
    assert failed.status == 500 and failed.getheader("content-type") == "application/problem+json", body
    assert failed.getheader("connection") == "close"  # the client knows to open a new one
    conn.request("GET", "/v1/events", headers=auth)  # http.client reconnects since it was told to close
    again = conn.getresponse()
    assert again.status == 200 and again.read()
    conn.request("HEAD", "/healthz")  # and HEAD through uvicorn: the headers of GET, no body, the connection kept
    head = conn.getresponse()
    assert head.status == 200 and head.read() == b"" and head.getheader("content-length") == "15"
    conn.request("GET", "/healthz")
    assert conn.getresponse().read() == b'{"status":"ok"}'
    log = log_dir / f"api-{urlsplit(url).port}.log"
    wait_for(lambda: TRACEBACK in log.read_text(), 5, what="the traceback in the log")
    assert log.read_text().count(TRACEBACK) == 1
    assert write_key.split("_", 2)[2] not in log.read_text()


def test_a_500_in_process_is_a_problem_logged_once_with_its_traceback(api, settings, caplog, monkeypatch):
    from hooks.registry import webhooks as registry

    def broken(webhook_id: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(registry, "get_webhook", broken)
    with caplog.at_level(logging.ERROR):
        r = api.get("/v1/webhooks/wh_01J00000000000000000000000")  # the TestClient raises what the app lets out
    assert r.status_code == 500 and r.headers["connection"] == "close"
    assert r.json()["detail"] == "An unexpected error; the server's log has the details."
    (record,) = [rec for rec in caplog.records if rec.exc_info]
    assert record.exc_info[0] is RuntimeError and "GET /v1/webhooks/wh_01J" in record.getMessage()
