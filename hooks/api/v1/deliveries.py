"""`/v1/deliveries`: list (filters, `since`/`until` on the event's time, cursor pages), show with attempts, retry.

A key bound to a stack (hooks.api.scope) lists the deliveries of its stack's events only (a page may then end
short, even empty, with a `next_cursor`: the Redis side reads a bounded number of ids a page); a filter or an
id of another stack answers 404, as an unknown one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hooks.api.auth import Reader, Writer
from hooks.api.scope import check_delivery, check_event_filter, check_webhook_filter
from hooks.api.v1.common import Cursor, delivery_json, limit_of, opened, page_json, when
from hooks.deliveries.dlq import retry_now
from hooks.deliveries.page import Page
from hooks.deliveries.query import LISTING, get_delivery, list_deliveries
from hooks.history.cursors import encode_cursor
from hooks.history.records import event_at_s
from hooks.history.times import as_datetime
from hooks.models.delivery import Delivery
from hooks.models.ids import id_at

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])
TIME_HELP = "ISO 8601 (UTC unless an offset is given), Unix seconds, or an age like 30m, 2h, 7d"


@router.get("", summary="List deliveries, newest event first, a page at a time")
def list_(key: Reader, webhook_id: str | None = None, event_id: str | None = None, status: str | None = None,
          since: Annotated[str | None, Query(description=f"events published at or after: {TIME_HELP}")] = None,
          until: Annotated[str | None, Query(description=f"events published before: {TIME_HELP}")] = None,
          limit: int = 50, cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    check_webhook_filter(key, webhook_id, leftovers=lambda: bool(list_deliveries(webhook_id=webhook_id, limit=1,
                                                                                 stack=key.stack)))  # fmt: skip
    check_event_filter(key, event_id)
    page = deliveries_between(webhook_id=webhook_id, event_id=event_id, status=status, since=when(since, "since"),
                              until=when(until, "until"), limit=limit_of(limit),
                              cursor=opened(key.stack, LISTING, cursor), stack=key.stack)  # fmt: skip
    return page_json(page, delivery_json, stack=key.stack, listing=LISTING)


def deliveries_between(*, since: float | None, until: float | None, cursor: str | None,
                       **filters: Any) -> Page[Delivery]:  # fmt: skip
    """`list_deliveries` within [since, until) of the event's time: `until` starts the keyset there (ids sort by
    their event's time), `since` ends the listing at the first older delivery."""
    if cursor is None and until is not None:
        cursor = encode_cursor(LISTING, as_datetime(until), f"msg_{id_at(until)}")
    page = list_deliveries(cursor=cursor, **filters)
    if since is None:
        return page
    kept = [d for d in page if event_at_s(d.id) >= since]
    return Page(kept, page.next_cursor if len(kept) == len(page) else None)


@router.get("/{delivery_id}", summary="A delivery and every attempt (status, duration, "
            "redacted request headers, response excerpt)")  # fmt: skip
def show(delivery_id: str, key: Reader) -> dict[str, Any]:
    check_delivery(key, delivery_id)
    return delivery_json(get_delivery(delivery_id), with_log=True)


@router.post("/{delivery_id}/retry", summary="Send a delivery again now, whatever its status")
def retry(delivery_id: str, key: Writer) -> dict[str, Any]:
    check_delivery(key, delivery_id)
    return delivery_json(retry_now(delivery_id), with_log=True)
