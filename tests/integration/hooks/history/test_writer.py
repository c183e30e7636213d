"""Writing batches: idempotent, newest delivery state wins, every row of an event in its day partition."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text

from hooks.history.partitions import ensure_partitions, existing_days
from hooks.history.records import AttemptRecord, DeliveryRecord, EventRecord
from hooks.history.times import day_of
from hooks.history.writer import write_batch

from .factories import BASE_S, DAY_S, attempt, delivery, event


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def stored(engine: Engine, delivery_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM deliveries WHERE id = :id"), {"id": delivery_id}).one()
    return dict(row._mapping)


def test_a_batch_written_twice_is_stored_once(history: Engine) -> None:
    events = [event(BASE_S + i) for i in range(20)]
    deliveries = [delivery(ev, "wh_A", status="failed", attempts=1) for ev in events]
    attempts = [attempt(dl, 1) for dl in deliveries]

    first = write_batch(history, events, deliveries, attempts)
    again = write_batch(history, events, deliveries, attempts)

    assert (first.events, first.deliveries, first.attempts) == (20, 20, 20)
    assert (again.events, again.attempts) == (0, 0)
    assert [count(history, t) for t in ("events", "deliveries", "attempts")] == [20, 20, 20]


def test_an_older_delivery_record_does_not_overwrite_a_newer_one(history: Engine) -> None:
    ev = event(BASE_S)
    newer = delivery(ev, "wh_A", status="delivered", attempts=2, updated_s=BASE_S + 20)
    older = delivery(ev, "wh_A", status="failed", attempts=1, updated_s=BASE_S + 10)

    write_batch(history, [ev], [newer])
    result = write_batch(history, [], [older])

    assert result.deliveries == 0
    assert stored(history, newer.id)["status"] == "delivered"


def test_a_newer_delivery_record_replaces_the_stored_one(history: Engine) -> None:
    ev = event(BASE_S)
    write_batch(history, [ev], [delivery(ev, "wh_A", status="pending", updated_s=BASE_S + 1)])

    write_batch(history, [], [delivery(ev, "wh_A", status="failed", attempts=4, in_dlq=True,
                                       dead_lettered_at=BASE_S + 9, updated_s=BASE_S + 9)])  # fmt: skip

    row = stored(history, delivery(ev, "wh_A").id)
    assert (row["status"], row["attempts"], row["in_dlq"]) == ("failed", 4, True)


def test_within_a_batch_the_newest_record_of_a_delivery_wins_whatever_its_place(history: Engine) -> None:
    ev = event(BASE_S)
    states = [delivery(ev, "wh_A", status=s, updated_s=BASE_S + t) for s, t in
              (("pending", 1), ("delivered", 3), ("failed", 2))]  # fmt: skip

    write_batch(history, [ev, ev], states, [attempt(states[0], 1), attempt(states[0], 1)])

    assert stored(history, states[0].id)["status"] == "delivered"
    assert count(history, "attempts") == 1


def test_every_row_of_an_event_lands_in_its_day_partition(history: Engine) -> None:
    events = [event(BASE_S + n * DAY_S + 3600) for n in range(3)]
    deliveries = [delivery(ev, "wh_A") for ev in events]

    write_batch(history, events, deliveries, [attempt(dl, 1) for dl in deliveries])

    with history.connect() as conn:
        for table in ("events", "deliveries", "attempts"):
            parts = conn.execute(text(f"SELECT tableoid::regclass::text FROM {table} ORDER BY event_at")).scalars()
            assert list(parts) == [f"{table}_p{day_of(ev.event_at):%Y%m%d}" for ev in events]


def test_a_partition_dropped_behind_the_writers_back_is_made_again(history: Engine) -> None:
    ev = event(BASE_S)
    write_batch(history, [ev])
    with history.begin() as conn:
        conn.execute(text(f"DROP TABLE events_p{day_of(BASE_S):%Y%m%d}"))

    write_batch(history, [event(BASE_S + 5)])

    assert count(history, "events") == 1


def test_processes_making_the_same_partitions_at_once_all_succeed(history: Engine) -> None:
    days = [day_of(BASE_S + n * DAY_S) for n in range(5)]
    errors: list[BaseException] = []

    def make() -> None:
        try:
            with history.begin() as conn:
                ensure_partitions(conn, days)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    with history.connect() as conn:
        assert existing_days(conn) == set(days)


def test_an_empty_batch_writes_nothing(history: Engine) -> None:
    assert write_batch(history).events == 0


def test_records_survive_a_trip_through_their_dicts() -> None:
    ev = event(BASE_S)
    dl = delivery(ev, "wh_A", in_dlq=True, dead_lettered_at=BASE_S + 2)
    at = attempt(dl, 3)

    assert EventRecord.from_dict(ev.to_dict()) == ev
    assert DeliveryRecord.from_dict({**dl.to_dict(), "unknown": 1}) == dl
    assert AttemptRecord.from_dict(at.to_dict()) == at


def test_a_record_dict_without_a_required_key_is_refused() -> None:
    with pytest.raises(ValueError, match="DeliveryRecord"):
        DeliveryRecord.from_dict({"id": "msg_x_y"})
