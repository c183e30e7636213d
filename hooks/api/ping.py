"""Send a test event to one webhook now, in a worker, and answer with what its request got, in the same call.

The API does not make the request: a worker does, with exactly what a delivery's attempt uses (the SSRF guard,
our HTTP client, the webhook's headers and auth, its mTLS client certificate and OAuth2 token, the egress proxy
HOOKS_EGRESS_PROXY_URL, Standard Webhooks signatures with every active secret, the user agent), so a test succeeds
or fails as a delivery would. `send_test` pushes the task `workers.tasks.send_test` on the `tests` queue (a Celery
message written straight into Redis, hooks/store/drain_message.py: `hooks` never imports `workers`) and waits on
a reply key for the worker's answer (workers/attempt/test_send.py). It is not a delivery: the webhook's breaker,
lanes, retries and history are left alone (a probe of an open breaker is the scheduler's job).

The request's deadline is HOOKS_REQUEST_TIMEOUT_S, at most HOOKS_API_TEST_SEND_TIMEOUT_S; the API waits that,
HOOKS_CONNECT_TIMEOUT_S and WAIT_SLACK_S more. When no worker answers by then the result's error is `no_worker`
(the API answers 503, the dashboard says so) and the task is taken back off the queue if no worker took it (it
also expires: a worker started later never sends a test nobody waits for).
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from hooks.models.test_event import SEND_TEST_TASK, TEST_EVENT, TestResult, test_body
from hooks.models.webhook import Webhook, shown_headers
from hooks.settings import Settings
from hooks.store.connection import get_redis
from hooks.store.drain_message import task_message
from hooks.store.keys import TESTS_QUEUE, Keys

__all__ = ["NO_WORKER", "TEST_EVENT", "TestResult", "no_worker_detail", "send_test", "shown_headers", "test_body",
           "wait_s"]  # fmt: skip

NO_WORKER = "no_worker"
WAIT_SLACK_S = 3.0  # a worker's time to take the task and answer, beyond the request's own time


def wait_s(settings: Settings) -> float:
    """How long the API waits for a worker's answer."""
    return min(settings.request_timeout_s, settings.api_test_send_timeout_s) + settings.connect_timeout_s + WAIT_SLACK_S


def no_worker_detail(settings: Settings) -> str:
    """The sentence of a `no_worker` result."""
    return f"no worker took the test within {wait_s(settings):g} s: is `hooks worker` running?"


def send_test(webhook: Webhook, settings: Settings, *, data: dict[str, Any] | None = None,
              event_type: str = TEST_EVENT) -> TestResult:  # fmt: skip
    """Have a worker POST a signed test event to the webhook now and return what it got; never raises for the
    endpoint's trouble. No worker answering in time is the error `no_worker`."""
    client = get_redis(settings)
    started = time.monotonic()
    wait = wait_s(settings)
    reply_key = Keys(settings).test_reply(secrets.token_hex(12))
    expires = datetime.now(timezone.utc) + timedelta(seconds=wait)
    message = task_message(SEND_TEST_TASK, TESTS_QUEUE, f"test.{secrets.token_hex(12)}",
                           [webhook.id, event_type, data, reply_key], expires)  # fmt: skip
    client.lpush(TESTS_QUEUE, message)
    answer = _wait(client, reply_key, started + wait, settings.publish_timeout_s)
    if answer is None:
        client.lrem(TESTS_QUEUE, 1, message)  # not taken yet: nobody will send it
        duration = round((time.monotonic() - started) * 1000, 2)
        return TestResult(False, None, duration, "", NO_WORKER, None, "", {})
    client.delete(reply_key)
    return TestResult(**json.loads(answer))


def _wait(client: Any, key: str, deadline: float, socket_timeout_s: float) -> bytes | None:
    """The answer pushed on `key` before `deadline`, in BLPOPs shorter than the client's socket timeout."""
    step = max(0.1, socket_timeout_s / 2)
    while (left := deadline - time.monotonic()) > 0:
        got = client.blpop([key], timeout=min(step, max(0.01, left)))
        if got is not None:
            return bytes(got[1])
    return None
