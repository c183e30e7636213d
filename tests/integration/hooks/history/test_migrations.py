"""The schema's migrations: from nothing and from the previous revision to head, and the check that refuses."""

from __future__ import annotations

from dataclasses import replace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from hooks.history.db import (
    VERSION_TABLE,
    SchemaError,
    check_schema,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    normalise_url,
    upgrade,
)
from hooks.history.queries import get_delivery, get_event
from hooks.history.tables import metadata
from hooks.history.writer import write_batch

from .factories import BASE_S, attempt, delivery, event


def indexes_of(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        names = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": table}).scalars()
        out = set(names)
    engine.dispose()
    return out


def test_an_empty_database_upgrades_to_head_matching_the_tables_module(empty_database_url: str) -> None:
    upgrade(empty_database_url)

    engine = make_engine(empty_database_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}),
                                       metadata)  # fmt: skip
    assert current_revision(engine) == head_revision()
    assert differences == []
    check_schema(engine)
    engine.dispose()


def test_the_previous_revision_upgrades_to_head_keeping_rows_and_indexing_partitions(empty_database_url: str) -> None:
    upgrade(empty_database_url, "0001")
    engine = make_engine(empty_database_url)
    ev = event(BASE_S)
    # the head writer's event rows have columns 0001 lacks: a delivery alone (and its day's partitions)
    write_batch(engine, (), [delivery(ev, "wh_A", status="failed", in_dlq=True, dead_lettered_at=BASE_S + 9)])

    upgrade(engine)

    partition = next(n for n in indexes_of(empty_database_url, "deliveries_p" + _day(BASE_S)) if "dead" in n)
    assert partition  # the DLQ index reached the partition that existed before the upgrade
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM deliveries WHERE in_dlq")).scalar_one() == 1
    engine.dispose()


def test_0003_adds_response_headers_to_attempts_archived_before_it_as_null(empty_database_url: str) -> None:
    upgrade(empty_database_url, "0002")
    engine = make_engine(empty_database_url)
    ev = event(BASE_S)
    dl = delivery(ev, "wh_A", status="delivered")
    write_batch(engine, (), [dl])  # the day's partitions, then an attempt as 0002's writer stored it
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO attempts (delivery_id, attempt, event_at, event_id, webhook_id, round, replay, "
                          "started_at, duration_ms, response, request_headers, outcome) VALUES (:d, 1, "
                          "to_timestamp(:at), :e, 'wh_A', 0, false, now(), 1.5, 'ok', '{}', 'retry')"),
                     {"d": dl.id, "at": ev.event_at, "e": ev.id})  # fmt: skip

    upgrade(engine)
    pairs = [["Set-Cookie", "[redacted]"], ["Set-Cookie", "[redacted]"], ["X-Request-Id", "r-1"]]
    write_batch(engine, attempts=[attempt(dl, 2, outcome="delivered", response_headers=pairs)])

    old, new = get_delivery(engine, dl.id).attempts
    assert old.response_headers is None and new.response_headers == pairs  # order and repeats kept
    downgrade(engine, "0002")
    with engine.connect() as conn:
        columns = conn.execute(text("SELECT column_name FROM information_schema.columns "
                                    "WHERE table_name = 'attempts'")).scalars().all()  # fmt: skip
    assert "response_headers" not in columns and "request_headers" in columns
    engine.dispose()


def test_downgrading_to_base_removes_the_tables(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    downgrade(empty_database_url, "base")

    engine = make_engine(empty_database_url)
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
    assert current_revision(engine) is None
    assert set(tables) <= {VERSION_TABLE}
    engine.dispose()


def test_check_schema_refuses_a_database_without_the_schema_in_one_line(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    with pytest.raises(SchemaError, match=r"no schema .*: run `hooks db upgrade`$") as caught:
        check_schema(engine)
    assert "\n" not in str(caught.value)
    engine.dispose()


def test_0004_adds_the_filtered_out_webhooks_to_events_archived_before_it_as_null(empty_database_url: str) -> None:
    upgrade(empty_database_url, "0003")
    engine = make_engine(empty_database_url)
    old = event(BASE_S)
    write_batch(engine, (), [delivery(old, "wh_A")])  # the day's partitions, then an event as 0003's writer stored it
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO events (id, event_at, type, stack, branch, channels, body) VALUES "
                          "(:i, to_timestamp(:at), 't', 'blog', 'main', '{}', '{}')"),
                     {"i": old.id, "at": old.event_at})  # fmt: skip

    upgrade(engine)
    new = replace(event(BASE_S + 1), filtered_out=["wh_B", "wh_C"], filtered_count=2)
    write_batch(engine, [new])

    assert get_event(engine, old.id).event.filtered_out is None
    stored = get_event(engine, new.id).event
    assert stored.filtered_out == ["wh_B", "wh_C"] and stored.filtered_count == 2
    downgrade(engine, "0003")
    with engine.connect() as conn:
        columns = conn.execute(text("SELECT column_name FROM information_schema.columns "
                                    "WHERE table_name = 'events'")).scalars().all()  # fmt: skip
    assert "filtered_out" not in columns and "filtered_count" not in columns and "body" in columns
    engine.dispose()


def test_check_schema_refuses_the_previous_revision_in_one_line(empty_database_url: str) -> None:
    upgrade(empty_database_url, "0003")
    engine = make_engine(empty_database_url)
    with pytest.raises(SchemaError, match=r"at revision 0003, the code needs 0004: run `hooks db upgrade`$"):
        check_schema(engine)
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h:5/db", "postgresql+psycopg://u@h:5/db"),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_urls_are_normalised_to_the_psycopg_3_driver(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def _day(at_s: float) -> str:
    from hooks.history.times import day_of

    return f"{day_of(at_s):%Y%m%d}"
