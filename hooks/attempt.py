"""One delivery attempt: sign, POST, decide what happens next, and the records it leaves.

Outcomes: `delivered`; `retry` (back on the schedule with backoff); `dead` (in the dead-letter queue: attempts
spent, 410 Gone, blocked address, webhook disabled). The drain (hooks/drain.py) calls `attempt` for each
delivery of a batch and hands the `Record`s to its next take script, which writes them.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import redis

from config import Settings
from hooks import breaker
from hooks.backoff import compute_delay_s, parse_retry_after
from hooks.deliveries import Delivery
from hooks.http import HttpResult, post
from hooks.signing import standard_headers
from hooks.webhooks import Webhook

log = logging.getLogger(__name__)

_REDACTED = "[redacted]"


@dataclass(frozen=True)
class Decision:
    """What one attempt leads to."""

    outcome: str  # delivered | retry | dead
    reason: str | None = None
    delay_s: float = 0.0


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
        result = post(webhook.url, body, headers, settings)
        return Attempt(result, decide(result, delivery, webhook, settings), started_at, headers)
    except Exception as exc:  # noqa: BLE001 - the catch-all is the point
        log.error("deliver: %s failed inside the worker (%s)", delivery.id, type(exc).__name__)
        result = HttpResult(None, b"", f"internal_error:{type(exc).__name__}", None, None, 0.0)
        return Attempt(result, decide_internal_error(delivery, webhook, settings), started_at, {})


def decide_internal_error(delivery: Delivery, webhook: Webhook, settings: Settings) -> Decision:
    """A failure inside the worker is retried like an endpoint failure, and dead-lettered when attempts run out."""
    policy = effective_retry(webhook, settings)
    attempt_no = delivery.round_attempts + 1
    if attempt_no >= policy["max_attempts"]:
        return Decision("dead", "internal_error")
    delay = compute_delay_s(attempt_no, base_s=policy["base_s"], factor=policy["factor"],
                            max_delay_s=policy["max_delay_s"], jitter=policy["jitter"])  # fmt: skip
    return Decision("retry", None, delay)


@dataclass
class Record:
    """What one delivery leaves in Redis after a drain handled it, applied by the drain's next take script.

    `fields` go to the delivery's hash; `attempt_json` (if any) is appended to its attempt log; `retry_due`
    puts it on the retry schedule; `dead` adds it to the dead-letter queue. An empty record only ends the lease.
    """

    delivery_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    attempt_json: str = ""
    retry_due: float | None = None
    dead: bool = False

    def args(self) -> list[Any]:
        """The record as the take script reads it: id, attempt, due, dead, number of fields, field/value..."""
        flat = [x for kv in self.fields.items() for x in kv]
        due = "" if self.retry_due is None else self.retry_due
        return [self.delivery_id, self.attempt_json, due, int(self.dead), len(self.fields), *flat]


def record(settings: Settings, delivery: Delivery, webhook: Webhook, done: Attempt) -> Record:
    """The attempt's log entry and the delivery's new state (delivered, retry scheduled, or dead-lettered)."""
    result, decision = done.result, done.decision
    now = time.time()
    entry = {
        "delivery_id": delivery.id,
        "event_id": delivery.event_id,
        "webhook_id": webhook.id,
        "attempt": delivery.attempts + 1,
        "round": delivery.replays,
        "replay": delivery.replays > 0,
        "started_at": done.started_at,
        "duration_ms": result.duration_ms,
        "status_code": result.status,
        "error": result.error,
        "address": result.address,
        "response": result.body[: settings.logged_response_bytes].decode("utf-8", "replace"),
        "request_headers": redact_headers(done.headers, webhook),
        "outcome": decision.outcome,
        "reason": decision.reason,
        "next_delay_s": round(decision.delay_s, 3) if decision.outcome == "retry" else None,
    }
    out = Record(delivery.id, attempt_json=json.dumps(entry, separators=(",", ":")))
    out.fields = {
        "attempts": delivery.attempts + 1,
        "round_attempts": delivery.round_attempts + 1,
        "updated_at": now,
        "last_status": result.status or "",
        "last_error": result.error or "",
    }
    if decision.outcome == "delivered":
        out.fields.update(status="delivered", next_attempt_at="", reason="")
    elif decision.outcome == "retry":
        out.retry_due = now + decision.delay_s
        out.fields.update(status="pending", next_attempt_at=out.retry_due)
    else:
        out.dead = True
        out.fields.update(status="failed", next_attempt_at="", reason=decision.reason or "", dead_lettered_at=now)
    return out


def finish_without_attempt(delivery_id: str, outcome: str, reason: str) -> Record:
    """The end of a delivery that cannot be attempted: `failed`, or `dead` (dead-lettered)."""
    now = time.time()
    out = Record(delivery_id, {"status": "failed", "reason": reason, "updated_at": now, "next_attempt_at": ""})
    if outcome == "dead":
        out.dead = True
        out.fields["dead_lettered_at"] = now
    log.info("deliver: %s %s without an attempt (%s)", delivery_id, outcome, reason)
    return out


def after_dead(client: redis.Redis, settings: Settings, delivery: Delivery, webhook: Webhook, reason: str) -> None:
    """Log a dead-lettered delivery, disable the webhook on 410 Gone, and tell the operators."""
    log.warning("deliver: %s dead-lettered (%s) after %d attempts", delivery.id, reason, delivery.attempts + 1)
    if reason == "gone":
        breaker.disable(client, settings, webhook, "the endpoint answered 410 Gone")
    from hooks.notify import notify_dead_lettered  # late import: notify publishes through the producer API

    notify_dead_lettered(delivery, webhook, reason)


def redact_headers(headers: dict[str, str], webhook: Webhook) -> dict[str, str]:
    """The request headers as the attempt log keeps them: auth, signatures and custom values hidden."""
    keep = {"Content-Type", "User-Agent", "webhook-id", "webhook-timestamp"}
    return {k: (v if k in keep else _REDACTED) for k, v in headers.items()}


def _authorization(webhook: Webhook) -> str:
    import base64

    auth = webhook.auth
    if auth is None:
        return ""
    if auth.type == "basic":
        return "Basic " + base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    return f"Bearer {auth.token}"
