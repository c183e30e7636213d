"""Reading the history: keyset pages across day partitions, filters, lookups by id."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hooks.errors import NotFoundError, ValidationError
from hooks.history.queries import get_delivery, get_event, list_deliveries, list_events
from hooks.history.records import DeliveryRecord
from hooks.history.writer import write_batch

from .factories import BASE_S, DAY_S, attempt, delivery, event


def all_pages(fetch, **filters) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Every page of a listing, as lists of ids, following the cursors to the end."""
    pages, cursor = [], None
    while True:
        rows, cursor = fetch(cursor=cursor, **filters)
        pages.append([r.id for r in rows])
        if cursor is None:
            return pages


@pytest.fixture
def four_days(history: Engine) -> list[DeliveryRecord]:
    """43 events over 4 days, each delivered to 3 webhooks (ties in event time broken by id)."""
    events = [event(BASE_S + (n % 4) * DAY_S + n * 60) for n in range(43)]
    deliveries = [delivery(ev, wh, status="delivered" if n % 3 else "failed")
                  for n, ev in enumerate(events) for wh in ("wh_A", "wh_B", "wh_C")]  # fmt: skip
    write_batch(history, events, deliveries)
    return deliveries


def newest_first(deliveries: list[DeliveryRecord]) -> list[str]:
    return [d.id for d in sorted(deliveries, key=lambda d: (d.event_at, d.id), reverse=True)]


def test_pages_cover_every_delivery_once_newest_first_across_partitions(
    history: Engine, four_days: list[DeliveryRecord]
) -> None:
    pages = all_pages(lambda **kw: list_deliveries(history, limit=10, **kw))

    assert [len(p) for p in pages] == [10] * 12 + [9]
    assert [i for page in pages for i in page] == newest_first(four_days)


def test_pages_of_one_webhook_hold_only_its_deliveries_in_order(
    history: Engine, four_days: list[DeliveryRecord]
) -> None:
    pages = all_pages(lambda **kw: list_deliveries(history, webhook_id="wh_B", limit=7, **kw))

    assert [i for page in pages for i in page] == newest_first([d for d in four_days if d.webhook_id == "wh_B"])


def test_filters_by_status_and_time_combine(history: Engine, four_days: list[DeliveryRecord]) -> None:
    since, until = BASE_S + DAY_S, BASE_S + 3 * DAY_S
    rows, _ = list_deliveries(history, status="failed", since=since, until=until, limit=1000)

    expected = [d for d in four_days if d.status == "failed" and since <= d.event_at < until]
    assert [r.id for r in rows] == newest_first(expected)


def test_deliveries_of_one_event_are_listed_by_event_id(history: Engine, four_days: list[DeliveryRecord]) -> None:
    rows, cursor = list_deliveries(history, event_id=four_days[0].event_id)

    assert sorted(r.webhook_id for r in rows) == ["wh_A", "wh_B", "wh_C"] and cursor is None


def test_a_delivery_is_read_with_its_attempts_in_order(history: Engine) -> None:
    ev = event(BASE_S)
    dl = delivery(ev, "wh_A", status="delivered", attempts=3)
    write_batch(history, [ev], [dl], [attempt(dl, 3, outcome="delivered", status_code=200), attempt(dl, 1),
                                      attempt(dl, 2)])  # fmt: skip

    found = get_delivery(history, dl.id)

    assert found.delivery == dl
    assert [(a.attempt, a.outcome) for a in found.attempts] == [(1, "retry"), (2, "retry"), (3, "delivered")]
    assert found.attempts[0].request_headers == {"webhook-id": dl.id}


def test_an_unknown_or_malformed_delivery_id_is_not_found(history: Engine) -> None:
    with pytest.raises(NotFoundError):
        get_delivery(history, delivery(event(BASE_S), "wh_A").id)
    with pytest.raises(NotFoundError):
        get_delivery(history, "msg_nonsense")


def test_events_page_newest_first_and_filter_by_stack_and_type(history: Engine) -> None:
    events = [event(BASE_S + (n % 3) * DAY_S + n, stack=("blog", "shop")[n % 2], type=("a", "b")[n % 3 == 0])
              for n in range(30)]  # fmt: skip
    write_batch(history, events)

    pages = all_pages(lambda **kw: list_events(history, stack="shop", limit=4, **kw))
    typed, _ = list_events(history, type="b", limit=100)

    shop = sorted((e for e in events if e.stack == "shop"), key=lambda e: (e.event_at, e.id), reverse=True)
    assert [i for page in pages for i in page] == [e.id for e in shop]
    assert {e.id for e in typed} == {e.id for e in events if e.type == "b"}
    assert all(e.body is None for e in typed)  # bodies come with get_event only


def test_an_event_is_read_with_its_bodies_and_deliveries(history: Engine) -> None:
    ev = event(BASE_S, body='{"title":"hé"}')
    write_batch(history, [ev], [delivery(ev, "wh_A"), delivery(ev, "wh_B")])

    found = get_event(history, ev.id)

    assert found.event == ev
    assert [d.webhook_id for d in found.deliveries] == ["wh_A", "wh_B"]


def test_a_cursor_from_another_listing_or_garbage_is_refused(history: Engine, four_days: list[DeliveryRecord]) -> None:
    _, cursor = list_events(history, limit=1)
    assert cursor is not None

    with pytest.raises(ValidationError, match="cursor"):
        list_deliveries(history, cursor=cursor)
    with pytest.raises(ValidationError, match="cursor"):
        list_deliveries(history, cursor="not-a-cursor!")
    with pytest.raises(ValidationError, match="limit"):
        list_deliveries(history, limit=0)
