"""One stack's deliveries, for the portal's log: only what belongs to the session's stack is ever read back.

A delivery belongs to a stack when its webhook is one of the stack's (the fan-out only pairs a stack's events
with that stack's webhooks) and, when its event is still stored, that event's stack is the same one too (a
webhook moved to another stack by an operator does not take its old deliveries along). Anything else, an
unknown id, a malformed one or another stack's, is the same NotFoundError with the same sentence: a portal
user learns nothing about ids that are not theirs.

The log is one listing of the library's, filtered on the stack: `list_deliveries(stack=...)`, or
`list_dead(stack=...)` for the dead-letter queue, by endpoint and status, newest first, paged by its own keyset
cursor. Its `stack=` reads the history's stack column (the webhook's when the attempt was recorded) and, in
flight, the event's; each page is then checked once more (`of_stack`, one round trip to each store): a delivery
of another stack's event (a webhook moved while one was in flight) or to a webhook that is no longer the stack's
is left out. A page left short (by that check, or by the library's scan of Redis, which stops after a bounded
number of other stacks' ids) is filled from the next ones, reading more each time, a few times at most
(`FILL_ROUNDS`); a page cut there hands out the cursor after the last delivery shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hooks.api.sealed_cursors import open_cursor, seal_cursor
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
FILL_ROUNDS = 4  # listings read at most to fill one page of the log
MAX_READ = 1000  # the library's largest page
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
    webhook_id = owned_webhook(stack, endpoint).id if endpoint else None
    mine = {webhook_id} if webhook_id else {w.id for w in stack_webhooks(stack)}
    if not mine:
        return Page([], None)  # no endpoint: nothing to read

    def fetch(after: str | None, count: int) -> Page[Delivery]:
        if status == "dead":
            return list_dead(webhook_id=webhook_id, stack=stack, limit=count, cursor=after)
        return list_deliveries(webhook_id=webhook_id, status=status, stack=stack, limit=count, cursor=after)

    listing = f"portal {status == 'dead'}"  # a dead-letter page's cursor is of another listing than the log's
    items: list[Delivery] = []
    after, count = open_cursor(stack, listing, cursor), limit
    for _ in range(FILL_ROUNDS):
        page = fetch(after, count)
        items += of_stack(stack, mine, page)
        after = page.next_cursor
        if len(items) > limit:  # cut: the next page goes on after the last one shown
            after = _dead_cursor(items[limit - 1]) if status == "dead" else _id_cursor(items[limit - 1])
        if after is None or len(items) >= limit:
            break
        count = min(MAX_READ, count * 4)  # what was left out may go on: read more at once
    # sealed: the cursor may name the last delivery read, of a webhook moved away from the stack (not shown)
    return Page(items[:limit], seal_cursor(stack, listing, after))


def of_stack(stack: str, webhook_ids: set[str], page: Page[Delivery]) -> Page[Delivery]:
    """The page's deliveries to these webhooks whose event is of `stack` (or no longer kept: its webhook then
    says), with the page's cursor, which goes on after the last delivery read, shown or not."""
    stacks = event_stacks(sorted({d.event_id for d in page}))
    kept = [d for d in page if d.webhook_id in webhook_ids and stacks.get(d.event_id, stack) == stack]
    return Page(kept, page.next_cursor)


def event_stacks(event_ids: Sequence[str]) -> dict[str, str]:
    """The stack of each of these events that is kept: one pipelined read of Redis (in flight), one query of the
    history for the others; raises HistoryUnavailableError."""
    if not event_ids:
        return {}
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


def _id_cursor(d: Delivery) -> str:
    return encode_cursor(LISTING, as_datetime(event_at_s(d.id)), d.id)


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
