"""Operators hear about trouble through the system itself: events on the `_system` stack."""

from __future__ import annotations

import logging

from hooks.errors import HooksError
from hooks.models.delivery import Delivery
from hooks.models.webhook import Webhook
from hooks.producer.publish import publish_event

log = logging.getLogger(__name__)

SYSTEM_STACK = "_system"
WEBHOOK_DISABLED = "hooks.webhook.disabled"
DELIVERY_DEAD_LETTERED = "hooks.delivery.dead_lettered"


def notify_disabled(webhook: Webhook, reason: str) -> None:
    """Publish `hooks.webhook.disabled` for a webhook that was just disabled."""
    if webhook.stack == SYSTEM_STACK:
        return  # a notifier's own trouble is logged, not announced to itself in a loop
    _publish(WEBHOOK_DISABLED, {"webhook_id": webhook.id, "url": _safe_url(webhook.url), "name": webhook.name,
                                "stack": webhook.stack, "reason": reason})  # fmt: skip


def notify_dead_lettered(delivery: Delivery, webhook: Webhook, reason: str) -> None:
    """Publish `hooks.delivery.dead_lettered` for a delivery that just entered the dead-letter queue."""
    if webhook.stack == SYSTEM_STACK:
        return
    _publish(DELIVERY_DEAD_LETTERED, {"delivery_id": delivery.id, "event_id": delivery.event_id,
                                      "webhook_id": webhook.id, "stack": webhook.stack, "reason": reason,
                                      "attempts": delivery.attempts + 1})  # fmt: skip


def _publish(event_type: str, data: dict[str, object]) -> None:
    try:
        publish_event(event_type, data, stack=SYSTEM_STACK, branch="main")
    except HooksError as exc:
        log.error("could not publish %s: %s", event_type, exc)


def _safe_url(url: str) -> str:
    return url.split("?", 1)[0]
