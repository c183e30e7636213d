"""`hooks.outbox.publish` writes the event into the app's outbox on the connection it is given, inside the caller's
transaction, as one INSERT; it validates exactly as `publish_event` does."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

import hooks
from hooks import outbox
from hooks.errors import ValidationError
from tests.integration.outbox.conftest import outbox_rows


def _sqlalchemy_connection(engine: Engine, work: Any) -> None:
    with engine.begin() as conn:
        work(conn)


def _sqlalchemy_session(engine: Engine, work: Any) -> None:
    with Session(engine) as session, session.begin():
        work(session)


def _psycopg_connection(engine: Engine, work: Any) -> None:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:  # commits at the end of the block, rolls back on an exception
        work(conn)


@pytest.mark.parametrize("within", [_sqlalchemy_connection, _sqlalchemy_session, _psycopg_connection])
def test_a_committed_event_waits_in_the_outbox_built_as_publish_event_builds_it(app_pg: Engine, within: Any) -> None:
    # Given a connection of the app's, in a transaction
    ids: list[str] = []
    # When the app publishes through the outbox and commits
    within(
        app_pg,
        lambda conn: ids.append(
            outbox.publish(
                conn, "orders.created", {"id": 7}, stack="shop", channels=["orders.eu.created"], idempotency_key="o-7"
            )
        ),
    )
    # Then the row holds the event, its body as receivers will get it
    with app_pg.connect() as conn:
        row = conn.execute(text("SELECT * FROM hooks_outbox")).mappings().one()
    body = json.loads(row["body"])
    assert (row["event_id"], row["event_type"], row["stack"], row["branch"]) == (
        ids[0],
        "orders.created",
        "shop",
        "main",
    )
    assert (row["channels"], row["idempotency_key"]) == ("orders.eu.created", "o-7")
    assert body == {
        "id": ids[0],
        "type": "orders.created",
        "timestamp": row["event_time"],
        "stack": "shop",
        "branch": "main",
        "data": {"id": 7},
    }
    assert json.loads(row["concise_body"])["data"] == {"id": 7}


@pytest.mark.parametrize("within", [_sqlalchemy_connection, _sqlalchemy_session, _psycopg_connection])
def test_an_event_published_in_a_transaction_that_rolls_back_leaves_nothing(app_pg: Engine, within: Any) -> None:
    def fail_after_publishing(conn: Any) -> None:
        outbox.publish(conn, "orders.created", {"id": 8})
        raise RuntimeError("the app's change failed")

    with pytest.raises(RuntimeError):
        within(app_pg, fail_after_publishing)
    assert outbox_rows(app_pg) == []


def test_publishing_costs_one_insert_round_trip(app_pg: Engine) -> None:
    # Given a transaction that has begun (the app's own statement ran)
    statements: list[str] = []
    with app_pg.begin() as conn:
        conn.execute(text("SELECT 1"))
        event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))
        # When one event is published, then many
        outbox.publish(conn, "a.b", {})
        outbox.publish_many(conn, [{"event_type": "a.c", "data": {}}, {"event_type": "a.d", "data": {}}])
    # Then each is one INSERT (psycopg 3 sends the many in one pipeline)
    assert [s.split()[0] for s in statements] == ["INSERT", "INSERT"]
    assert [t for _, t in outbox_rows(app_pg)] == ["a.b", "a.c", "a.d"]


def test_sqlite_connections_write_the_outbox_too(app_sqlite: Engine) -> None:
    path = app_sqlite.url.database
    with sqlite3.connect(path) as conn:  # commits on leaving the block
        event_id = outbox.publish(conn, "a.b", {"n": 1})
    with app_sqlite.begin() as conn:
        outbox.publish(conn, "a.c", {"n": 2})
    assert outbox_rows(app_sqlite) == [(event_id, "a.b"), (outbox_rows(app_sqlite)[1][0], "a.c")]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("Not A Type", {}), {}),
        (("a.b", ["not", "a", "dict"]), {}),
        (("a.b", {}), {"stack": "no spaces"}),
        (("a.b", {"x": float("nan")}), {}),
        (("a.b", {"x": "y" * 300_000}), {}),
        (("a.b", {}), {"idempotency_key": ""}),
    ],
)
def test_bad_input_raises_the_same_error_as_publish_event_and_writes_nothing(
    app_pg: Engine, args: Any, kwargs: Any
) -> None:
    with pytest.raises(ValidationError) as direct:
        hooks.publish_event(*args, **kwargs)  # validates before it connects: no Redis needed
    with app_pg.begin() as conn, pytest.raises(ValidationError) as through_outbox:
        outbox.publish(conn, *args, **kwargs)
    assert str(through_outbox.value) == str(direct.value)
    assert outbox_rows(app_pg) == []


def test_publish_many_is_all_or_none_and_names_the_bad_item(app_pg: Engine) -> None:
    with app_pg.begin() as conn, pytest.raises(ValidationError, match=r"events\[1\]\.event_type"):
        outbox.publish_many(conn, [{"event_type": "a.b", "data": {}}, {"event_type": "BAD", "data": {}}])
    assert outbox_rows(app_pg) == []


def test_something_that_is_not_a_connection_is_refused_by_name(app_pg: Engine) -> None:
    with pytest.raises(ValidationError, match=r"^conn: expected a SQLAlchemy Connection or Session.*got sqlalchemy"):
        outbox.publish(app_pg, "a.b", {})  # an Engine is not a transaction
    with pytest.raises(ValidationError, match=r"^conn: .* got builtins\.str\.$"):
        outbox.publish("postgresql://", "a.b", {})
