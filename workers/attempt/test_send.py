"""A test send ("send a test event"): the request a delivery's attempt makes, outside the delivery pipeline.

The API (hooks/api/ping.py) pushes the task `workers.tasks.send_test` on the `tests` queue and waits on a reply
key; the worker signs and POSTs the test event with exactly what an attempt uses (attempt.request_headers and
attempt.send: the SSRF guard, our client, the webhook's client certificate and OAuth2 token, the egress proxy)
and LPUSHes what it got, as JSON, on the reply key, which lives a minute. No breaker, lanes, retries, history.
The test's deadline is HOOKS_REQUEST_TIMEOUT_S, at most HOOKS_API_TEST_SEND_TIMEOUT_S.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis

from hooks.errors import ConfigurationError, NotFoundError
from hooks.models.ids import delivery_id, new_event_id
from hooks.models.test_event import TestResult, test_body
from hooks.models.webhook import shown_headers
from hooks.registry.webhooks import get_webhook
from hooks.settings import Settings
from workers.attempt.attempt import request_headers, send

log = logging.getLogger(__name__)

REPLY_TTL_S = 60


def send_test(webhook_id: str, event_type: str, data: dict[str, Any] | None, settings: Settings) -> TestResult:
    """POST a signed test event to the webhook as an attempt would; never raises for the endpoint's trouble."""
    started = time.monotonic()
    try:
        webhook = get_webhook(webhook_id)
    except NotFoundError:
        return TestResult(False, None, _ms(started), "", "not_found", None, "", {})
    event_id = new_event_id()
    message_id = delivery_id(event_id, webhook.id)
    headers: dict[str, str] = {}
    try:
        body = test_body(webhook, event_id, data, event_type)
        headers = request_headers(webhook, message_id, body, settings)
        result = send(webhook, body, headers, test_settings(settings))
    except ConfigurationError:  # a sealed key no key of HOOKS_ENCRYPTION_KEY opens: named by kind only
        return TestResult(False, None, _ms(started), "", "internal_error:ConfigurationError", None, message_id, {})
    except Exception as exc:  # noqa: BLE001 - the caller gets an answer, not a silence; the text could hold a secret
        log.error("test send: webhook %s failed inside the worker (%s)", webhook_id, type(exc).__name__)
        return TestResult(False, None, _ms(started), "", f"internal_error:{type(exc).__name__}", None, message_id,
                          shown_headers(headers))  # fmt: skip
    text = result.body[: settings.logged_response_bytes].decode("utf-8", "replace")
    return TestResult(result.ok, result.status, _ms(started), text, result.error, result.address, message_id,
                      shown_headers(headers))  # fmt: skip


def test_settings(settings: Settings) -> Settings:
    """The settings of a test send: a delivery's, with the deadline at most HOOKS_API_TEST_SEND_TIMEOUT_S."""
    if settings.request_timeout_s <= settings.api_test_send_timeout_s:
        return settings
    return settings.model_copy(update={"request_timeout_s": settings.api_test_send_timeout_s})


def reply(client: redis.Redis, reply_key: str, result: TestResult) -> None:
    """Hand the result to the API waiting on `reply_key` (gone after REPLY_TTL_S if nobody waits any more)."""
    with client.pipeline(transaction=True) as pipe:
        pipe.lpush(reply_key, json.dumps(result.to_dict()))
        pipe.expire(reply_key, REPLY_TTL_S)
        pipe.execute()


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 2)
