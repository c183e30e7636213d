"""Webhooks for Python producers: `publish_event` here, Celery workers deliver, signed (Standard Webhooks).

Names are imported on first use (PEP 562), so `import hooks` stays cheap and `config` can use `hooks.errors`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Delivery": "hooks.deliveries",
    "get_delivery": "hooks.deliveries",
    "list_deliveries": "hooks.deliveries",
    "HooksError": "hooks.errors",
    "NotFoundError": "hooks.errors",
    "PublishError": "hooks.errors",
    "ValidationError": "hooks.errors",
    "publish_event": "hooks.publisher",
    "publish_events": "hooks.publisher",
    "create_webhook": "hooks.registry",
    "delete_webhook": "hooks.registry",
    "disable_webhook": "hooks.registry",
    "enable_webhook": "hooks.registry",
    "get_webhook": "hooks.registry",
    "list_webhooks": "hooks.registry",
    "update_webhook": "hooks.registry",
    "rotate_secret": "hooks.registry",
    "Webhook": "hooks.webhooks",
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
    "publish_event",
    "publish_events",
    "rotate_secret",
    "update_webhook",
]

if TYPE_CHECKING:
    from hooks.deliveries import Delivery, get_delivery, list_deliveries
    from hooks.errors import HooksError, NotFoundError, PublishError, ValidationError
    from hooks.publisher import publish_event, publish_events
    from hooks.registry import (
        create_webhook,
        delete_webhook,
        disable_webhook,
        enable_webhook,
        get_webhook,
        list_webhooks,
        rotate_secret,
        update_webhook,
    )
    from hooks.webhooks import Webhook


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hooks' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
