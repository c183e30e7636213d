"""One delivery attempt: sign, POST, and decide what happens next.

Outcomes: `delivered`; `retry` (back on the schedule with backoff; a `proxy_error` spends no attempt); `dead` (in
the dead-letter queue: attempts spent, 410 Gone, blocked address, webhook disabled). The drain (workers/drain/batch.py) calls `attempt` for
each delivery of a batch and turns each into a `Record` (record.py) for its next take script to write.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass
from typing import Any

from hooks.errors import ConfigurationError
from hooks.models.delivery import Delivery
from hooks.models.webhook import Webhook
from hooks.settings import Settings
from hooks.signing.sign import standard_headers
from workers.attempt import oauth2
from workers.attempt.backoff import compute_delay_s, parse_retry_after
from workers.attempt.client_tls import client_context
from workers.attempt.http import HttpResult, default_ca, post
from workers.attempt.proxy import PROXY_ERROR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """What one attempt leads to."""

    outcome: str  # delivered | retry | dead
    reason: str | None = None
    delay_s: float = 0.0
    spends: bool = True  # the attempt counts toward max_attempts (not a proxy_error: our failure, not the endpoint's)


@dataclass(frozen=True)
class Attempt:
    """One attempt made: what the endpoint did, what follows, and the request headers (redacted when logged)."""

    result: HttpResult
    decision: Decision
    started_at: float
    headers: dict[str, str]


def request_headers(webhook: Webhook, delivery_id: str, body: bytes, settings: Settings) -> dict[str, str]:
    """Every header of one attempt: custom, auth, content type, user agent and the signature."""
    headers = dict(webhook.headers)
    if webhook.auth is not None:
        headers["Authorization"] = _authorization(webhook)
    headers["Content-Type"] = "application/json"
    headers["User-Agent"] = settings.user_agent
    now = time.time()
    secrets = [webhook.secret, *(o.secret for o in webhook.old_secrets if o.expires_at.timestamp() > now)]
    headers.update(standard_headers(secrets, delivery_id, int(now), body, webhook.signing_key))
    return headers


def decide(result: HttpResult, delivery: Delivery, webhook: Webhook, settings: Settings) -> Decision:
    """Delivered, retry after a delay, or dead-letter, from the result of attempt `delivery.round_attempts + 1`."""
    if result.ok:
        return Decision("delivered")
    if result.status == 410:
        return Decision("dead", "gone")
    if result.error in ("blocked_address", "invalid_url", "invalid_header"):
        return Decision("dead", result.error)  # retrying cannot fix these
    if result.error == PROXY_ERROR:
        return decide_proxy_error(delivery, webhook, settings)
    if webhook.retry_policy == "manual":
        return Decision("dead", "manual_retry_policy")
    policy = effective_retry(webhook, settings)
    attempt = delivery.round_attempts + 1
    if attempt >= policy["max_attempts"]:
        return Decision("dead", "attempts_exhausted")
    delay = compute_delay_s(
        attempt, base_s=policy["base_s"], factor=policy["factor"],
        max_delay_s=policy["max_delay_s"], jitter=policy["jitter"],
    )  # fmt: skip
    if result.status in (429, 503):
        asked = parse_retry_after(result.retry_after)
        if asked is not None:
            delay = max(delay, min(asked, policy["max_delay_s"]))
    return Decision("retry", None, delay)


def decide_proxy_error(delivery: Delivery, webhook: Webhook, settings: Settings) -> Decision:
    """The egress proxy failed: our infrastructure's failure, not the endpoint's. The attempt does not count toward
    max_attempts (nor the breaker: workers/drain/batch.py), whatever the retry policy; it is retried after the
    delay of the delivery's current attempt number. Bounded by the retention: a delivery whose next try would come
    after its Redis record expires (HOOKS_RETENTION_DAYS after it was created) is dead-lettered as `proxy_error`."""
    policy = effective_retry(webhook, settings)
    delay = compute_delay_s(delivery.round_attempts + 1, base_s=policy["base_s"], factor=policy["factor"],
                            max_delay_s=policy["max_delay_s"], jitter=policy["jitter"])  # fmt: skip
    if time.time() + delay >= delivery.created_at + settings.retention_days * 86400:
        return Decision("dead", PROXY_ERROR)
    return Decision("retry", None, delay, spends=False)


def effective_retry(webhook: Webhook, settings: Settings) -> dict[str, Any]:
    """The retry policy of a webhook: its overrides over the global settings."""
    o = webhook.retry
    return {
        "base_s": o.base_s if o.base_s is not None else settings.retry_base_s,
        "factor": o.factor if o.factor is not None else settings.retry_factor,
        "max_delay_s": o.max_delay_s if o.max_delay_s is not None else settings.retry_max_delay_s,
        "jitter": o.jitter if o.jitter is not None else settings.retry_jitter,
        "max_attempts": o.max_attempts if o.max_attempts is not None else settings.max_attempts,
    }


def attempt(delivery: Delivery, webhook: Webhook, body: bytes, settings: Settings) -> Attempt:
    """Sign and POST one delivery and decide what follows; never raises for the endpoint's trouble.

    A bug or bad record must not leave a delivery stuck in pending: an unexpected exception is logged by type
    only (its text could hold a secret) and counted as a failed attempt, retried like any other.
    """
    started_at = time.time()
    try:
        headers = request_headers(webhook, delivery.id, body, settings)
        result = send(webhook, body, headers, settings)
        return Attempt(result, decide(result, delivery, webhook, settings), started_at, headers)
    except ConfigurationError as exc:  # a sealed key no key of HOOKS_ENCRYPTION_KEY opens: says so, no secret
        log.error("deliver: %s: webhook %s: %s", delivery.id, webhook.id, exc)
        result = HttpResult(None, b"", "internal_error:ConfigurationError", None, None, 0.0)
        return Attempt(result, decide_internal_error(delivery, webhook, settings), started_at, {})
    except Exception as exc:  # noqa: BLE001 - the catch-all is the point
        log.error("deliver: %s failed inside the worker (%s)", delivery.id, type(exc).__name__)
        result = HttpResult(None, b"", f"internal_error:{type(exc).__name__}", None, None, 0.0)
        return Attempt(result, decide_internal_error(delivery, webhook, settings), started_at, {})


def send(webhook: Webhook, body: bytes, headers: dict[str, str], settings: Settings) -> HttpResult:
    """POST with the webhook's client certificate (mTLS) and OAuth2 token, when it has them (also a test send:
    test_send.py)."""
    tls = client_context(webhook, settings, default_ca(settings)) if webhook.mtls is not None else None
    if webhook.oauth2 is not None:
        return oauth2.send(webhook, body, headers, settings, tls)
    return post(webhook.url, body, headers, settings, tls=tls)


def decide_internal_error(delivery: Delivery, webhook: Webhook, settings: Settings) -> Decision:
    """A failure inside the worker is retried like an endpoint failure, and dead-lettered when attempts run out."""
    policy = effective_retry(webhook, settings)
    attempt_no = delivery.round_attempts + 1
    if attempt_no >= policy["max_attempts"]:
        return Decision("dead", "internal_error")
    delay = compute_delay_s(attempt_no, base_s=policy["base_s"], factor=policy["factor"],
                            max_delay_s=policy["max_delay_s"], jitter=policy["jitter"])  # fmt: skip
    return Decision("retry", None, delay)


def _authorization(webhook: Webhook) -> str:
    auth = webhook.auth
    if auth is None:
        return ""
    if auth.type == "basic":
        return "Basic " + base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    return f"Bearer {auth.token}"
