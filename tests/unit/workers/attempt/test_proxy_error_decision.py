"""A `proxy_error` attempt (the egress proxy failed: our infrastructure, not the endpoint) spends none of the
delivery's attempts: retried after the delay of its current attempt number, never dead-lettered for running out of
attempts, whatever the retry policy; bounded by the retention (the delivery's Redis record expires then)."""

from __future__ import annotations

import time

import pytest

from hooks.models.delivery import Delivery
from hooks.registry.webhooks import _validate
from hooks.settings import Settings
from workers.attempt.attempt import Attempt, decide
from workers.attempt.http import HttpResult
from workers.attempt.record import record

SETTINGS = Settings(max_attempts=3, retry_base_s=1.0, retry_factor=2.0, retry_max_delay_s=60.0, retry_jitter=0.0)
PROXY_FAILED = HttpResult(None, b"", "proxy_error", None, None, 1.0)


def delivery(round_attempts: int, created_at: float | None = None) -> Delivery:
    at = time.time() if created_at is None else created_at
    return Delivery("msg_x_y", "evt_x", "wh_y", "pending", round_attempts + 7, round_attempts, at, at)


@pytest.mark.parametrize("policy", ["auto", "manual"])
def test_a_proxy_error_past_max_attempts_is_retried_and_spends_no_attempt(policy):
    webhook = _validate({"url": "https://hooks.example.test/in", "events": ["a.b"], "retry_policy": policy})
    d = delivery(round_attempts=2)  # this is the 3rd attempt of 3: an endpoint failure would dead-letter it
    assert decide(HttpResult(500, b"", None, None, None, 1.0), d, webhook, SETTINGS).outcome == "dead"
    decision = decide(PROXY_FAILED, d, webhook, SETTINGS)
    assert (decision.outcome, decision.spends, decision.delay_s) == ("retry", False, 4.0)  # 1 * 2**2, attempt 3
    out = record(SETTINGS, d, webhook, Attempt(PROXY_FAILED, decision, time.time(), {}))
    assert (out.fields["round_attempts"], out.fields["attempts"], out.fields["status"]) == (2, 10, "pending")
    assert out.retry_due is not None and not out.finishes, "still on the retry schedule, the attempt logged"


def test_a_proxy_error_is_dead_lettered_once_its_next_try_would_outlive_the_retention():
    webhook = _validate({"url": "https://hooks.example.test/in", "events": ["a.b"]})
    old = time.time() - SETTINGS.retention_days * 86400 + 2.0  # its record expires in 2 s; the next try is in 2+
    decision = decide(PROXY_FAILED, delivery(round_attempts=1, created_at=old), webhook, SETTINGS)
    assert (decision.outcome, decision.reason) == ("dead", "proxy_error")
