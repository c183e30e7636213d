"""Day partitions: made ahead, idempotent, and retention drops exactly the days past the window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text

from hooks.history.partitions import drop_expired, ensure_ahead, existing_days, partition_name
from hooks.history.times import day_of
from hooks.history.writer import write_batch

from .factories import BASE_S, DAY_S, delivery, event


def test_ensure_ahead_makes_today_and_the_next_days_once(history: Engine) -> None:
    with history.begin() as conn:
        first = ensure_ahead(conn, BASE_S + 10, days_ahead=2)
    with history.begin() as conn:
        again = ensure_ahead(conn, BASE_S + 10, days_ahead=2)
        days = existing_days(conn)

    today = day_of(BASE_S)
    assert days == {today + timedelta(days=n) for n in range(3)}
    assert len(first) == 9 and again == []
    assert partition_name("deliveries", today) in first


def test_retention_drops_exactly_the_days_that_ended_past_the_window(history: Engine) -> None:
    events = [event(BASE_S + n * DAY_S + 60) for n in range(6)]  # days 0..5, one event each
    write_batch(history, events, [delivery(ev, "wh_A") for ev in events])
    now = BASE_S + 5 * DAY_S + 3600  # one hour into day 5

    with history.begin() as conn:
        dropped = drop_expired(conn, now, retention_days=3)  # days ending on or before day 2 00:00 + 1h... : 0, 1

    gone = [day_of(BASE_S), day_of(BASE_S + DAY_S)]
    assert sorted(dropped) == sorted(partition_name(t, d) for t in ("events", "deliveries", "attempts") for d in gone)
    with history.connect() as conn:
        assert existing_days(conn) == {day_of(ev.event_at) for ev in events[2:]}
        left = conn.execute(text("SELECT id FROM events ORDER BY event_at")).scalars().all()
    assert left == [ev.id for ev in events[2:]]


def test_a_day_that_ends_exactly_at_the_cutoff_is_dropped_and_the_next_kept(history: Engine) -> None:
    write_batch(history, [event(BASE_S + 60), event(BASE_S + DAY_S + 60)])

    with history.begin() as conn:
        dropped = drop_expired(conn, BASE_S + 1 * DAY_S + 2 * DAY_S, retention_days=2)

    assert sorted(dropped) == sorted(partition_name(t, day_of(BASE_S)) for t in ("events", "deliveries", "attempts"))


def test_retention_with_nothing_expired_drops_nothing(history: Engine) -> None:
    write_batch(history, [event(BASE_S + 60)])

    with history.begin() as conn:
        assert drop_expired(conn, BASE_S + 60, retention_days=30) == []
