"""One delivery attempt, start to finish: load, sign, POST, record, and decide what happens next.

Outcomes: `delivered`; `retry` (back on the schedule with backoff); `dead` (in the dead-letter queue: attempts
spent, 410 Gone, blocked address, webhook disabled); `deferred` (breaker open or webhook at its in-flight cap:
back on the schedule without spending an attempt); `skipped` (already finished: a duplicate run).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis

from config import Settings
from hooks import breaker
from hooks.backoff import compute_delay_s, parse_retry_after
from hooks.deliveries import Delivery, parse_delivery
from hooks.http import HttpResult, post
from hooks.ids import split_delivery_id
from hooks.keys import Keys
from hooks.schedule import schedule
from hooks.signing import standard_headers
from hooks.webhooks import Webhook, parse_stored

log = logging.getLogger(__name__)

_REDACTED = "[redacted]"


@dataclass(frozen=True)
class Decision:
    """What one attempt leads to."""

    outcome: str  # delivered | retry | dead
    reason: str | None = None
    delay_s: float = 0.0


def run_delivery(delivery_id: str, settings: Settings, client: redis.Redis) -> str:
    """Make one attempt at a delivery (if it still needs one) and record it; returns the outcome name.

    A bug or bad record must not leave a delivery stuck in pending: an unexpected exception is logged by type
    only (its text could hold a secret) and counted as a failed attempt, retried like any other.
    """
    try:
        return _run(delivery_id, settings, client)
    except (redis.ConnectionError, redis.TimeoutError):
        raise
    except Exception as exc:  # noqa: BLE001 - the catch-all is the point
        log.error("deliver: %s failed inside the worker (%s)", delivery_id, type(exc).__name__)
        return _internal_error(client, settings, delivery_id, type(exc).__name__)


def _internal_error(client: redis.Redis, settings: Settings, delivery_id: str, error: str) -> str:
    keys = Keys(settings)
    raw = client.hgetall(keys.delivery(delivery_id))
    if not raw:
        return "missing"
    delivery = parse_delivery(delivery_id, raw)
    if delivery.status != "pending":
        return "skipped"
    result = HttpResult(None, b"", f"internal_error:{error}", None, None, 0.0)
    attempt = delivery.round_attempts + 1
    if attempt >= settings.max_attempts:
        decision = Decision("dead", "internal_error")
    else:
        decision = Decision("retry", None, compute_delay_s(attempt, base_s=settings.retry_base_s,
                            factor=settings.retry_factor, max_delay_s=settings.retry_max_delay_s,
                            jitter=settings.retry_jitter))  # fmt: skip
    now = time.time()
    fields: dict[str, Any] = {"attempts": delivery.attempts + 1, "round_attempts": attempt, "updated_at": now,
                              "last_status": "", "last_error": result.error}  # fmt: skip
    record = {"delivery_id": delivery_id, "event_id": delivery.event_id, "webhook_id": delivery.webhook_id,
              "attempt": delivery.attempts + 1, "started_at": now, "duration_ms": 0, "status_code": None,
              "error": result.error, "outcome": decision.outcome, "reason": decision.reason}  # fmt: skip
    with client.pipeline(transaction=True) as pipe:
        pipe.rpush(keys.attempts(delivery_id), json.dumps(record))
        _apply(pipe, keys, delivery, decision, fields, now)
        pipe.execute()
    return decision.outcome


def _run(delivery_id: str, settings: Settings, client: redis.Redis) -> str:
    event_id, webhook_id = split_delivery_id(delivery_id)
    keys = Keys(settings)
    with client.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.delivery(delivery_id))
        pipe.get(keys.webhook(webhook_id))
        pipe.hmget(keys.event(event_id), ["body", "concise_body"])
        raw, wh_raw, bodies = pipe.execute()
    if not raw:
        log.warning("deliver: delivery %s is not stored (expired?); nothing to do", delivery_id)
        return "missing"
    delivery = parse_delivery(delivery_id, raw)
    if delivery.status != "pending":
        return "skipped"
    if wh_raw is None:
        return _finish_without_attempt(client, settings, delivery, "failed", "webhook_deleted")
    webhook = parse_stored(wh_raw)
    if not webhook.enabled:
        return _finish_without_attempt(client, settings, delivery, "dead", "webhook_disabled")
    body = bodies[1] if webhook.concise else bodies[0]
    if body is None:
        return _finish_without_attempt(client, settings, delivery, "failed", "event_expired")
    token = f"{delivery_id}:{delivery.attempts}:{time.monotonic_ns()}"
    admission = breaker.admit(client, settings, webhook, token)
    if admission != "go":
        return _defer(client, keys, delivery, admission)
    try:
        headers = request_headers(webhook, delivery_id, body, settings)
        started_at = time.time()
        result = post(webhook.url, body, headers, settings)
    finally:
        breaker.release(client, settings, webhook, token)
    decision = decide(result, delivery, webhook, settings)
    _record(client, settings, delivery, webhook, result, decision, started_at, headers)
    breaker.observe(client, settings, webhook, result.ok)
    return decision.outcome


def _defer(client: redis.Redis, keys: Keys, delivery: Delivery, admission: str) -> str:
    """Put the delivery back without spending an attempt: parked behind an open breaker, or briefly delayed."""
    with client.pipeline(transaction=True) as pipe:
        if admission == "open":
            breaker.park(pipe, keys, delivery.webhook_id, delivery.id, delivery.created_at)
            pipe.hset(keys.delivery(delivery.id), mapping={"next_attempt_at": "", "reason": "breaker_open"})
        else:
            due = time.time() + breaker.busy_delay_s()
            schedule(pipe, keys, delivery.id, due)
            pipe.hset(keys.delivery(delivery.id), mapping={"next_attempt_at": due})
        pipe.execute()
    return "deferred"


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


def _record(client: redis.Redis, settings: Settings, delivery: Delivery, webhook: Webhook,
            result: HttpResult, decision: Decision, started_at: float, headers: dict[str, str]) -> None:  # fmt: skip
    keys = Keys(settings)
    now = time.time()
    ttl = int(settings.retention_days * 86400)
    record = {
        "delivery_id": delivery.id,
        "event_id": delivery.event_id,
        "webhook_id": webhook.id,
        "attempt": delivery.attempts + 1,
        "round": delivery.replays,
        "replay": delivery.replays > 0,
        "started_at": started_at,
        "duration_ms": result.duration_ms,
        "status_code": result.status,
        "error": result.error,
        "address": result.address,
        "response": result.body[: settings.logged_response_bytes].decode("utf-8", "replace"),
        "request_headers": redact_headers(headers, webhook),
        "outcome": decision.outcome,
        "reason": decision.reason,
        "next_delay_s": round(decision.delay_s, 3) if decision.outcome == "retry" else None,
    }
    fields: dict[str, Any] = {
        "attempts": delivery.attempts + 1,
        "round_attempts": delivery.round_attempts + 1,
        "updated_at": now,
        "last_status": result.status or "",
        "last_error": result.error or "",
    }
    with client.pipeline(transaction=True) as pipe:
        pipe.rpush(keys.attempts(delivery.id), json.dumps(record, separators=(",", ":")))
        pipe.expire(keys.attempts(delivery.id), ttl)
        _apply(pipe, keys, delivery, decision, fields, now)
        pipe.expire(keys.delivery(delivery.id), ttl)
        pipe.execute()
    if decision.outcome == "dead":
        _after_dead(client, settings, delivery, webhook, decision.reason or "")


def _apply(pipe: Any, keys: Keys, delivery: Delivery, decision: Decision, fields: dict[str, Any], now: float) -> None:
    if decision.outcome == "delivered":
        fields.update(status="delivered", next_attempt_at="", reason="")
    elif decision.outcome == "retry":
        fields.update(status="pending", next_attempt_at=now + decision.delay_s)
        schedule(pipe, keys, delivery.id, now + decision.delay_s)
    else:
        fields.update(status="failed", next_attempt_at="", reason=decision.reason or "", dead_lettered_at=now)
        pipe.zadd(keys.dlq, {delivery.id: now})
    pipe.hset(keys.delivery(delivery.id), mapping=fields)


def _finish_without_attempt(
    client: redis.Redis, settings: Settings, delivery: Delivery, outcome: str, reason: str
) -> str:
    keys = Keys(settings)
    now = time.time()
    with client.pipeline(transaction=True) as pipe:
        fields = {"status": "failed", "reason": reason, "updated_at": now, "next_attempt_at": ""}
        if outcome == "dead":
            fields["dead_lettered_at"] = now
            pipe.zadd(keys.dlq, {delivery.id: now})
        pipe.hset(keys.delivery(delivery.id), mapping=fields)
        pipe.execute()
    log.info("deliver: %s %s without an attempt (%s)", delivery.id, outcome, reason)
    return outcome


def _after_dead(client: redis.Redis, settings: Settings, delivery: Delivery, webhook: Webhook, reason: str) -> None:
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
