"""Webhooks for Python producers: `publish_event` here, Celery workers deliver, signed (Standard Webhooks).

Names are imported on first use (PEP 562), so `import hooks` stays cheap. Nothing here imports `workers`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Delivery": "hooks.models.delivery",
    "get_delivery": "hooks.deliveries.query",
    "list_deliveries": "hooks.deliveries.query",
    "HooksError": "hooks.errors",
    "NotFoundError": "hooks.errors",
    "PublishError": "hooks.errors",
    "ValidationError": "hooks.errors",
    "publish_event": "hooks.producer.publish",
    "publish_events": "hooks.producer.publish",
    "create_webhook": "hooks.registry.webhooks",
    "delete_webhook": "hooks.registry.webhooks",
    "disable_webhook": "hooks.registry.webhooks",
    "enable_webhook": "hooks.registry.webhooks",
    "get_webhook": "hooks.registry.webhooks",
    "list_webhooks": "hooks.registry.webhooks",
    "update_webhook": "hooks.registry.webhooks",
    "rotate_secret": "hooks.registry.webhooks",
    "portal_url": "hooks.portal.links",
    "Webhook": "hooks.models.webhook",
}

__all__ = [
    "Delivery",
    "HooksError",
    "NotFoundError",
    "PublishError",
    "ValidationError",
    "Webhook",
    "create_webhook",
    "delete_webhook",
    "disable_webhook",
    "enable_webhook",
    "get_delivery",
    "get_webhook",
    "list_deliveries",
    "list_webhooks",
    "portal_url",
    "publish_event",
    "publish_events",
    "rotate_secret",
    "update_webhook",
]

if TYPE_CHECKING:
    from hooks.deliveries.query import get_delivery, list_deliveries
    from hooks.errors import HooksError, NotFoundError, PublishError, ValidationError
    from hooks.models.delivery import Delivery
    from hooks.models.webhook import Webhook
    from hooks.portal.links import portal_url
    from hooks.producer.publish import publish_event, publish_events
    from hooks.registry.webhooks import (
        create_webhook,
        delete_webhook,
        disable_webhook,
        enable_webhook,
        get_webhook,
        list_webhooks,
        rotate_secret,
        update_webhook,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hooks' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
