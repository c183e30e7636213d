"""Per-webhook isolation: the circuit breaker.

Closed: deliveries flow, each failure adds to a count. After `HOOKS_BREAKER_THRESHOLD` consecutive failures the
breaker opens: deliveries that arrive wait in the webhook's waiting set (no attempt spent, no worker held).
When the cool-down ends the scheduler sends the oldest waiting delivery as the one probe (`release_probes.lua`).
A success closes the breaker and releases everything that waited, oldest first (the `close_breaker` include); a
failure re-opens it for twice as long, up to `HOOKS_BREAKER_MAX_COOLDOWN_S` (`record_failure.lua`). A webhook
failing without a success for `HOOKS_DISABLE_AFTER_FAILING_S` is disabled. The drains (workers/drain/) read the
state when they take work: they park deliveries while the breaker is open, take one as the probe when the
cool-down is over, and give a failing webhook a single lane. Operators see and reset it through
hooks/registry/health.py.
"""

from __future__ import annotations

import logging
import time

import redis

from hooks.models.webhook import Webhook
from hooks.registry.health import reset
from hooks.registry.webhooks import disable_webhook, get_webhook
from hooks.settings import Settings
from hooks.store.keys import Keys
from hooks.store.scripts import beside
from workers.drain.notify import notify_disabled

log = logging.getLogger(__name__)

_RECORD_FAILURE = beside(__file__, "record_failure")
_RELEASE_PROBES = beside(__file__, "release_probes")


def observe(client: redis.Redis, settings: Settings, webhook: Webhook, ok: bool) -> None:
    """Feed one attempt's result to the breaker; may close it, open it, or disable the webhook."""
    keys = Keys(settings)
    now = time.time()
    if ok:
        if client.hget(keys.webhook_state(webhook.id), "failures") is not None:
            reset(client, settings, webhook.id)
        return
    failures, first, opened = _RECORD_FAILURE.run(
        client, keys.p, webhook.id, now, settings.breaker_threshold, settings.breaker_cooldown_s,
        settings.breaker_max_cooldown_s,
    )  # fmt: skip
    if opened:
        log.warning("breaker: webhook %s opened after %s consecutive failures", webhook.id, failures)
    if now - float(first) >= settings.disable_after_failing_s:
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(first)))
        disable(client, settings, webhook, f"failing without a success since {since}")


def release_probes(client: redis.Redis, settings: Settings) -> int:
    """Schedule one probe for every webhook whose cool-down is over; returns how many."""
    return int(_RELEASE_PROBES.run(client, Keys(settings).p, time.time()))


def disable(client: redis.Redis, settings: Settings, webhook: Webhook, reason: str) -> None:
    """Disable a webhook for a reason and tell the operators through a `hooks.webhook.disabled` event."""
    if not get_webhook(webhook.id).enabled:
        return  # another worker got there first: one announcement is enough
    current = disable_webhook(webhook.id, reason)
    log.warning("webhook %s disabled: %s", webhook.id, reason)
    notify_disabled(current, reason)
