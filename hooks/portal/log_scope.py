"""One stack's deliveries, for the portal's log: only what belongs to the session's stack is ever read back.

A delivery belongs to a stack when its webhook is one of the stack's (the fan-out only pairs a stack's events
with that stack's webhooks) and, when its event is still stored, that event's stack is the same one too (a
webhook moved to another stack by an operator does not take its old deliveries along). Anything else, an
unknown id, a malformed one or another stack's, is the same NotFoundError with the same sentence: a portal
user learns nothing about ids that are not theirs.

The log pages by the library's own keyset cursors over the stack's webhooks: each webhook's page after the cursor
(`list_deliveries`, or `list_dead` for the dead-letter queue) is read, the pages are merged newest first and cut
to the limit, and the cursor after the last one shown is handed out. Ids and dead-lettering times order every
webhook's listing alike, so one cursor serves them all; a page costs at most `limit` rows per webhook of the
stack, whatever the traffic of other stacks; the page's events' stacks are then read in one round trip to each
store (`of_stack`), and a delivery of another stack's event (its webhook moved) is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from hooks.deliveries.dlq import list_dead
from hooks.deliveries.events import get_event
from hooks.deliveries.page import Page
from hooks.deliveries.query import LISTING, get_delivery, list_deliveries
from hooks.errors import NotFoundError, ValidationError
from hooks.history.bulk import events_by_ids
from hooks.history.connection import UNREACHABLE, get_engine, unavailable
from hooks.history.cursors import encode_cursor
from hooks.history.records import event_at_s
from hooks.history.times import as_datetime
from hooks.models.delivery import Delivery
from hooks.models.webhook import Webhook, shown_headers
from hooks.registry import webhooks as registry
from hooks.settings import get_settings
from hooks.store.connection import get_redis
from hooks.store.keys import Keys

STATUSES = ("pending", "delivered", "failed", "dead")  # "dead": in the dead-letter queue (replayable)
DEAD_LISTING = "dead"  # the history's listing name of the dead-letter queue's cursors
UNKNOWN_DELIVERY = "delivery: not found among this stack's deliveries."
UNKNOWN_ENDPOINT = "endpoint: not found among this stack's endpoints."


def stack_webhooks(stack: str) -> list[Webhook]:
    """The stack's webhooks (its endpoints), oldest first."""
    return registry.list_webhooks(stack=stack)


def owned_webhook(stack: str, webhook_id: str) -> Webhook:
    """The stack's webhook of this id; raises NotFoundError (the same for an unknown id and another stack's)."""
    try:
        webhook = registry.get_webhook(webhook_id)
    except (NotFoundError, ValidationError):
        raise NotFoundError(UNKNOWN_ENDPOINT) from None
    if webhook.stack != stack:
        raise NotFoundError(UNKNOWN_ENDPOINT)
    return webhook


def owned_delivery(stack: str, delivery_id: str) -> tuple[Delivery, Webhook, Any]:
    """The stack's delivery with its attempts, its webhook, and its event (None once the event is no longer kept);
    raises NotFoundError (the same sentence whatever the reason) or HistoryUnavailableError."""
    try:
        delivery = get_delivery(delivery_id)
        webhook = owned_webhook(stack, delivery.webhook_id)
    except (NotFoundError, ValidationError):
        raise NotFoundError(UNKNOWN_DELIVERY) from None
    try:
        event = get_event(delivery.event_id, deliveries_limit=1)
    except NotFoundError:  # its event left the history (retention): the webhook alone says whose it is
        event = None
    if event is not None and event.stack != stack:
        raise NotFoundError(UNKNOWN_DELIVERY)
    return delivery, webhook, event


def stack_deliveries(stack: str, *, endpoint: str | None = None, status: str | None = None, limit: int = 25,
                     cursor: str | None = None) -> Page[Delivery]:  # fmt: skip
    """A page of the stack's deliveries, newest first, of one endpoint and/or one status (STATUSES); raises
    NotFoundError for an endpoint not of the stack, ValidationError for a bad status or cursor."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status: must be one of {', '.join(STATUSES)}, got {status[:40]!r}.")
    ids = [owned_webhook(stack, endpoint).id] if endpoint else [w.id for w in stack_webhooks(stack)]
    if status == "dead":
        page = merged(ids, lambda wh: list_dead(webhook_id=wh, limit=limit, cursor=cursor), _dead_key, _dead_cursor,
                      limit)  # fmt: skip
    else:
        page = merged(ids, lambda wh: list_deliveries(webhook_id=wh, status=status, limit=limit, cursor=cursor),
                      _id_key, _id_cursor, limit)  # fmt: skip
    return of_stack(stack, page)


def merged(webhook_ids: Sequence[str], fetch: Callable[[str], Page[Delivery]], key: Callable[[Delivery], Any],
           cursor_after: Callable[[Delivery], str], limit: int) -> Page[Delivery]:  # fmt: skip
    """One page over several webhooks' listings of the same keyset: each one's page, merged, newest first."""
    if len(webhook_ids) == 1:
        return fetch(webhook_ids[0])  # one listing: its own page and cursor, as they are
    items: list[Delivery] = []
    more = False
    for webhook_id in webhook_ids:
        page = fetch(webhook_id)
        items.extend(page)
        more = more or page.next_cursor is not None
    items.sort(key=key, reverse=True)
    shown = items[:limit]
    more = more or len(items) > limit
    return Page(shown, cursor_after(shown[-1]) if more and shown else None)


def of_stack(stack: str, page: Page[Delivery]) -> Page[Delivery]:
    """The page's deliveries whose event is of `stack` (or no longer kept: its webhook then says), with the
    page's cursor, which goes on after the last delivery read, shown or not."""
    stacks = event_stacks(sorted({d.event_id for d in page}))
    return Page([d for d in page if stacks.get(d.event_id, stack) == stack], page.next_cursor)


def event_stacks(event_ids: Sequence[str]) -> dict[str, str]:
    """The stack of each of these events that is kept: one pipelined read of Redis (in flight), one query of the
    history for the others; raises HistoryUnavailableError."""
    settings = get_settings()
    client, keys = get_redis(settings), Keys(settings)
    with client.pipeline(transaction=False) as pipe:
        for event_id in event_ids:
            pipe.hget(keys.event(event_id), "stack")
        live = dict(zip(event_ids, pipe.execute(), strict=True))
    out = {i: s.decode() for i, s in live.items() if s is not None}
    rest = [i for i in event_ids if i not in out]
    if rest:
        try:
            stored = events_by_ids(get_engine(settings), rest)
        except UNREACHABLE as exc:
            raise unavailable(exc) from None
        out.update((i, record.stack) for i, record in stored.items())
    return out


def _id_key(d: Delivery) -> tuple[float, str]:
    return event_at_s(d.id), d.id


def _id_cursor(d: Delivery) -> str:
    return encode_cursor(LISTING, as_datetime(event_at_s(d.id)), d.id)


def _dead_key(d: Delivery) -> tuple[float, str]:
    return d.dead_lettered_at or 0.0, d.id


def _dead_cursor(d: Delivery) -> str:
    return encode_cursor(DEAD_LISTING, as_datetime(d.dead_lettered_at or 0.0), d.id)


def attempts_shown(delivery: Delivery) -> list[dict[str, Any]]:
    """The attempts as the portal shows them: request headers redacted again (auth, signatures, custom values),
    whatever the record kept."""
    return [{**a, "request_headers": shown_headers(a.get("request_headers") or {})} for a in delivery.attempt_log]


def payload_text(event: Any) -> str | None:
    """The event's payload as pretty JSON, or None when it is no longer kept (erased or past the retention)."""
    if event is None or event.body is None:
        return None
    return json.dumps(event.body, indent=2, sort_keys=True, ensure_ascii=False)
