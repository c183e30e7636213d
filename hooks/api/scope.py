"""What an API key bound to one stack may see and change: every /v1 route asks here, so the rule lives once.

A global key (`ApiKey.stack` None, an operator's) passes every check untouched and costs nothing: no read is
made for it. A key bound to a stack (a tenant's, `hooks api-key create --stack S`):

- an id of another stack's webhook, event or delivery answers 404 with the very sentence an id that does not
  exist gets (`not_found` below): another stack's objects are not there, so nothing tells whether they exist.
  The check runs before anything is changed;
- listings are filtered to the key's stack; a `stack` named in a query or a body that is not the key's is a
  422 naming `stack` (left out, it is the key's); a `webhook_id`/`event_id` filter must name one of the key's
  stack, else 404 (the same sentence for an unknown id and another stack's);
- routes that see every stack at once (/metrics, writing the event catalogue) answer 403: `GlobalKey`,
  `GLOBAL_ONLY`, `GLOBAL_WRITE`; the dashboard refuses the key at login.

A delivery belongs to its event's stack: checking one costs one HGET of the event's `stack` while it is in
Redis, or one lookup in the history after (hooks.deliveries.events.event_stack).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from starlette.exceptions import HTTPException

from hooks.api.apikeys import ApiKey
from hooks.api.auth import Reader, Writer
from hooks.deliveries.events import event_stack
from hooks.deliveries.query import delivery_exists, delivery_not_found
from hooks.errors import NotFoundError, ValidationError
from hooks.models.ids import split_delivery_id
from hooks.models.webhook import Webhook
from hooks.registry import webhooks as registry

__all__ = [
    "GLOBAL_ONLY",
    "GLOBAL_WRITE",
    "GlobalKey",
    "GlobalWriter",
    "check_delivery",
    "check_event_filter",
    "check_stack",
    "check_webhook",
    "check_webhook_filter",
    "global_key",
    "global_writer",
    "own_webhook",
]


def global_key(key: Reader) -> ApiKey:
    """The caller's key if it is global; raises a 403 problem for a key bound to a stack."""
    if key.stack is not None:
        raise HTTPException(403, f"Authorization: the API key {key.display} is bound to stack {key.stack!r}; "
                            "this needs a global key (it covers every stack).")  # fmt: skip
    return key


def global_writer(key: Writer) -> ApiKey:
    """The caller's key if it is global and may write; raises a 403 problem otherwise."""
    return global_key(key)


GlobalKey = Annotated[ApiKey, Depends(global_key)]
GlobalWriter = Annotated[ApiKey, Depends(global_writer)]
GLOBAL_ONLY = [Depends(global_key)]
GLOBAL_WRITE = [Depends(global_writer)]


def check_stack(key: ApiKey, stack: str | None, *, field: str = "stack",
                not_found: NotFoundError | None = None) -> str | None:  # fmt: skip
    """The stack a request acts on: `stack` for a global key; for a bound key, its own stack when `stack` is None
    or names it. Another stack raises `not_found` when given (the stack of an object looked up by id: 404, as
    an unknown id), else ValidationError naming `field` (a stack the caller named: 422)."""
    if key.stack is None or stack is None or stack == key.stack:
        return key.stack if stack is None else stack
    if not_found is not None:
        raise not_found
    raise ValidationError(f"{field}: this API key is bound to stack {key.stack!r} and cannot act on another stack.")


def own_webhook(key: ApiKey, webhook_id: str) -> Webhook:
    """The webhook `webhook_id` if the key may see it; raises NotFoundError (the same for another stack's)."""
    webhook = registry.get_webhook(webhook_id)
    check_stack(key, webhook.stack, not_found=NotFoundError(f"webhook {webhook_id} does not exist."))
    return webhook


def check_webhook(key: ApiKey, webhook_id: str) -> None:
    """Raise NotFoundError when a bound key names another stack's webhook (no read for a global key)."""
    if key.stack is not None:
        own_webhook(key, webhook_id)


def check_delivery(key: ApiKey, delivery_id: str) -> None:
    """Raise NotFoundError (as for an unknown id) when a bound key names a delivery of another stack's event, or
    one that does not exist: for a bound key the sentence leaves out the history backlog (every stack's figure)."""
    if key.stack is None:
        return
    try:
        event_id, _ = split_delivery_id(delivery_id)
    except (ValueError, AttributeError):
        return  # a malformed id: the route's own lookup says so (without a backlog)
    if event_stack(event_id) != key.stack or not delivery_exists(delivery_id):
        raise delivery_not_found(delivery_id, hint=False)


def check_webhook_filter(key: ApiKey, webhook_id: str | None, *, leftovers: Callable[[], bool]) -> None:
    """For a bound key, a `webhook_id` filter names a webhook of its stack, or one deleted that left some of the
    key's stack's records behind (`leftovers()`); raises NotFoundError, the same for an unknown id."""
    if key.stack is None or webhook_id is None:
        return
    try:
        if registry.get_webhook(webhook_id).stack == key.stack:
            return
    except (NotFoundError, ValidationError):
        if leftovers():
            return
    raise NotFoundError(f"webhook_id: no webhook {webhook_id[:40]!r} in the stack of this API key.")


def check_event_filter(key: ApiKey, event_id: str | None) -> None:
    """For a bound key, an `event_id` filter names an event of its stack; raises NotFoundError otherwise."""
    if key.stack is not None and event_id is not None and event_stack(event_id) != key.stack:
        raise NotFoundError(f"event_id: no event {event_id[:40]!r} in the stack of this API key.")
