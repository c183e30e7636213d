"""`POST /v1/webhooks/{id}/test` runs in a worker, through what a delivery uses: a webhook's OAuth2 bearer (a real
token server, a real receiver that takes only its tokens) reaches the endpoint; with no worker, the API answers a
503 `no_worker` problem within its bound, and takes its task back off the queue."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hooks import create_webhook
from hooks.api.apikeys import create_key
from hooks.api.app import create_app
from hooks.api.ping import wait_s
from hooks.settings import reset_settings
from hooks.store.connection import get_redis
from hooks.store.keys import TESTS_QUEUE
from tests.conftest import use_env
from tests.integration.workers.attempt.test_oauth2 import CLIENT_ID, SECRET, Receiver, TokenServer


@pytest.fixture(scope="module")
def oauth_servers() -> Iterator[tuple[TokenServer, Receiver]]:
    token_server, receiver = TokenServer(), Receiver()
    receiver.valid = {"tok-1"}
    yield token_server, receiver
    for server in (token_server, receiver):
        server.shutdown()
        server.server_close()


@pytest.mark.usefixtures("worker")
def test_a_test_send_carries_the_webhooks_oauth2_bearer(api, oauth_servers):
    token_server, receiver = oauth_servers
    oauth2 = {"token_url": token_server.url + "/token", "client_id": CLIENT_ID, "client_secret": SECRET}
    webhook = create_webhook(receiver.url + "/hook", ["a"], oauth2=oauth2)
    answer = api.post(f"/v1/webhooks/{webhook.id}/test")
    got = answer.json()
    assert answer.status_code == 200 and (got["ok"], got["status_code"], got["error"]) == (True, 204, None)
    assert got["request_headers"]["Authorization"] == "[redacted]" and got["webhook_message_id"].startswith("msg_")
    assert receiver.seen == [("tok-1", 204)] and len(token_server.requests) == 1


def test_with_no_worker_the_api_answers_503_no_worker_within_its_bound(hooks_env, monkeypatch):
    # a database of its own: no worker of the session consumes its `tests` queue
    env = {**hooks_env, "REDIS_URL": hooks_env["REDIS_URL"].rsplit("/", 1)[0] + "/7",
           "HOOKS_CONNECT_TIMEOUT_S": "0.2", "HOOKS_API_TEST_SEND_TIMEOUT_S": "0.2"}  # fmt: skip
    settings = use_env(env, monkeypatch)
    try:
        webhook = create_webhook("http://127.0.0.1:9/hook", ["a"])
        key = create_key("tests")[1]
        with TestClient(create_app(settings), headers={"Authorization": f"Bearer {key}"}) as api:
            started = time.monotonic()
            answer = api.post(f"/v1/webhooks/{webhook.id}/test")
            took = time.monotonic() - started
        assert answer.status_code == 503 and answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["error"] == "no_worker" and problem["detail"] == (
            f"no_worker: no worker took the test within {wait_s(settings):g} s: is `hooks worker` running?")  # fmt: skip
        assert wait_s(settings) <= took < wait_s(settings) + 1.5
        assert get_redis(settings).llen(TESTS_QUEUE) == 0  # taken back: a worker started later sends nothing
    finally:
        get_redis(settings).flushdb()
        reset_settings(None)
