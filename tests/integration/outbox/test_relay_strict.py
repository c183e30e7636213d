"""The relay and the event catalogue: a row whose data a strict type's schema refuses is set aside with the path,
the rest of its batch is published (the relay's step in this process, a SQLite outbox, the test's Redis)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, select

from hooks import outbox
from hooks.catalogue import add_event_type
from hooks.deliveries.events import get_event
from hooks.errors import NotFoundError
from hooks.outbox.relay import Relay
from hooks.outbox.tables import failed
from hooks.settings import Settings
from tests.integration.outbox.conftest import outbox_rows

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


def test_a_row_a_strict_schema_refuses_is_set_aside_with_the_path_and_the_others_are_published(
    settings: Settings, app_sqlite: Engine
) -> None:
    # Given a strict type, and an outbox with a good row, a bad one and one of an unregistered type
    add_event_type("counter.made", schema=SCHEMA, strict=True)
    with app_sqlite.begin() as conn:
        good = outbox.publish(conn, "counter.made", {"n": 1})
        bad = outbox.publish(conn, "counter.made", {"n": "one"})
        free = outbox.publish(conn, "other.made", {"n": "one"})
    # When the relay takes the batch
    relay = Relay(settings, app_sqlite, threading.Event())
    assert relay.step() == 3
    # Then the two publishable rows are stored (a worker of the session may have fanned them out already: they are
    # read back, not looked for in the fan-out list), and the bad one is aside with its path
    assert [get_event(i).type for i in (good, free)] == ["counter.made", "other.made"]
    with pytest.raises(NotFoundError):
        get_event(bad)
    assert outbox_rows(app_sqlite) == []
    with app_sqlite.connect() as conn:
        aside = conn.execute(select(failed.c.event_id, failed.c.error)).all()
    assert [tuple(r) for r in aside] == [(bad, "data.n: 'one' is not of type 'integer'.")]
