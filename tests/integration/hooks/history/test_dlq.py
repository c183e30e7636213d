"""The dead-letter queue in the history: listing newest first, paging ids, replay and purge marks."""

from __future__ import annotations

from sqlalchemy import Engine

from hooks.history.queries import dlq_ids_page, get_delivery, list_dead, mark_purged, mark_replayed
from hooks.history.records import DeliveryRecord, EventRecord
from hooks.history.writer import write_batch

from .factories import BASE_S, DAY_S, delivery, event


def dead(at_s: float, webhook_id: str, dead_s: float) -> tuple[EventRecord, DeliveryRecord]:
    ev = event(at_s)
    return ev, delivery(ev, webhook_id, status="failed", attempts=4, in_dlq=True, dead_lettered_at=dead_s,
                        reason="attempts exhausted", updated_s=dead_s)  # fmt: skip


def fill(history: Engine, n: int) -> list[DeliveryRecord]:
    """`n` dead deliveries over 3 days, dead-lettered in an order unlike their events', plus live ones."""
    pairs = [dead(BASE_S + (n % 3) * DAY_S + n, ("wh_A", "wh_B")[n % 2], BASE_S + 5 * DAY_S - 7 * n) for n in range(n)]
    live = [delivery(ev, "wh_C", status="delivered") for ev, _ in pairs]
    write_batch(history, [ev for ev, _ in pairs], [d for _, d in pairs] + live)
    return [d for _, d in pairs]


def by_dead_time(rows: list[DeliveryRecord]) -> list[str]:
    return [d.id for d in sorted(rows, key=lambda d: (d.dead_lettered_at or 0, d.id), reverse=True)]


def test_dead_deliveries_are_listed_newest_dead_lettered_first_in_pages(history: Engine) -> None:
    stored = fill(history, 25)
    seen, cursor = [], None
    while True:
        rows, cursor = list_dead(history, limit=6, cursor=cursor)
        seen += [r.id for r in rows]
        if cursor is None:
            break

    assert seen == by_dead_time(stored)


def test_dead_deliveries_of_one_webhook_since_a_time(history: Engine) -> None:
    stored = fill(history, 25)
    since = BASE_S + 5 * DAY_S - 7 * 12

    rows, _ = list_dead(history, webhook_id="wh_B", since=since, limit=100)

    expected = [d for d in stored if d.webhook_id == "wh_B" and (d.dead_lettered_at or 0) >= since]
    assert [r.id for r in rows] == by_dead_time(expected)


def test_dlq_ids_come_in_batches_that_cover_the_queue_once(history: Engine) -> None:
    stored = fill(history, 25)
    batches, cursor = [], None
    while True:
        ids, cursor = dlq_ids_page(history, limit=10, cursor=cursor)
        batches.append(ids)
        if cursor is None:
            break

    assert [len(b) for b in batches] == [10, 10, 5]
    assert [i for b in batches for i in b] == by_dead_time(stored)


def test_replayed_deliveries_leave_the_queue_as_pending_with_one_more_replay(history: Engine) -> None:
    stored = fill(history, 4)
    with history.begin() as conn:
        marked = mark_replayed(conn, [stored[0].id, stored[1].id])
    with history.begin() as conn:
        again = mark_replayed(conn, [stored[0].id])

    found = get_delivery(history, stored[0].id).delivery
    assert (marked, again) == (2, 0)
    assert (found.status, found.in_dlq, found.replays) == ("pending", False, 1)
    assert {r.id for r in list_dead(history)[0]} == {stored[2].id, stored[3].id}


def test_a_late_copy_of_the_dead_letter_record_does_not_undo_a_replay(history: Engine) -> None:
    stored = fill(history, 1)
    with history.begin() as conn:
        mark_replayed(conn, [stored[0].id])

    write_batch(history, [], [stored[0]])  # the archiver saw the dead-letter record a second time
    assert list_dead(history)[0] == []

    newer = DeliveryRecord.from_dict({**stored[0].to_dict(), "status": "delivered", "in_dlq": False, "replays": 1,
                                      "updated_at": stored[0].updated_at + 60})  # fmt: skip
    write_batch(history, [], [newer])
    assert get_delivery(history, newer.id).delivery.status == "delivered"


def test_a_replayed_round_dead_lettered_before_the_mark_stays_in_the_queue(history: Engine) -> None:
    # Given a dead delivery (0 replays) that a replay put back in flight, whose new round failed at once and was
    # archived as dead-lettered again (1 replay) before the replay marked the history
    stored = fill(history, 1)
    again = DeliveryRecord.from_dict({**stored[0].to_dict(), "replays": 1, "updated_at": stored[0].updated_at + 1})
    write_batch(history, [], [again])
    # When the replay's mark comes, for the count it was decided on
    with history.begin() as conn:
        marked = mark_replayed(conn, [stored[0].id], [0])
    # Then the newer round stays in the queue as it is (before: out of the DLQ with 2 replays, nothing in flight)
    assert marked == 0
    assert [(r.id, r.replays) for r in list_dead(history)[0]] == [(stored[0].id, 1)]


def test_purged_deliveries_leave_the_queue_with_reason_purged(history: Engine) -> None:
    stored = fill(history, 3)
    with history.begin() as conn:
        assert mark_purged(conn, [d.id for d in stored]) == 3

    found = get_delivery(history, stored[1].id).delivery
    assert (found.status, found.in_dlq, found.reason) == ("failed", False, "purged")
    assert list_dead(history)[0] == []
