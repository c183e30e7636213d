"""The relay's view of a row, and how it tells Redis being away from Redis refusing what was sent (pure)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import pytest
import redis

from hooks.errors import PublishError
from hooks.models.event import build_event
from hooks.outbox.relay import redis_away
from hooks.outbox.rows import problem, publish_values
from hooks.outbox.tables import EVENT_COLUMNS
from hooks.outbox.write import row_of
from hooks.settings import Settings

SETTINGS = Settings(max_event_bytes=4096)


Row = namedtuple("Row", ["id", *EVENT_COLUMNS])  # noqa: PYI024 - as SQLAlchemy's rows: by name and in order


def row(**changes: Any) -> Any:
    """An outbox row as the relay reads it: an id, then the columns of a built event."""
    built = row_of(build_event("orders.created", {"n": 1}, channels=["orders.eu"], max_bytes=4096))
    return Row(id=1, **{**built, **changes})


def test_a_row_without_its_own_key_is_published_with_one_made_of_its_event_id() -> None:
    r = row()
    values = publish_values(r)
    assert values[:2] == (r.event_id, f"outbox:{r.event_id}")
    assert values[2:6] == ("orders.created", "default", "main", "orders.eu")


def test_a_row_with_the_apps_key_keeps_it() -> None:
    assert publish_values(row(idempotency_key="order-7"))[1] == "order-7"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, None),
        ({"event_type": "Not.Valid"}, "event_type: must be dot-separated"),
        ({"stack": "has space"}, "stack: must be 1-64 characters"),
        ({"channels": "ok.one,BAD"}, "channels[1]: must be dot-separated"),
        (
            {"body": "x" * 5000},
            "data: the event serializes to 5000 bytes, over the limit of 4096 (HOOKS_MAX_EVENT_BYTES).",
        ),
        ({"body": "é" * 2100}, "data: the event serializes to 4200 bytes, over the limit of 4096"),
        ({"body": None}, "malformed row"),
    ],
)
def test_a_row_is_checked_again_before_it_is_published(changes: dict[str, Any], message: str | None) -> None:
    found = problem(row(**changes), SETTINGS)
    assert (found is None) if message is None else (found is not None and found.startswith(message))


def test_a_batch_checks_each_set_of_names_once_but_every_size() -> None:
    seen: dict[tuple[Any, ...], str | None] = {}
    assert problem(row(), SETTINGS, seen) is None
    assert problem(row(body="x" * 5000), SETTINGS, seen) is not None  # same names, too big
    assert problem(row(stack="bad stack"), SETTINGS, seen) is not None
    assert len(seen) == 2


@pytest.mark.parametrize(
    "exc",
    [
        redis.ConnectionError("gone"),
        redis.TimeoutError(),
        OSError(),
        PublishError("replicas"),
        redis.ResponseError("OOM command not allowed"),
        redis.ResponseError("READONLY You can't write against a read only replica."),
        redis.ResponseError("LOADING Redis is loading the dataset in memory"),
        redis.exceptions.OutOfMemoryError("used memory > 'maxmemory'"),
    ],
)
def test_a_server_that_is_down_full_loading_or_failing_over_is_away(exc: Exception) -> None:
    assert redis_away(exc)


@pytest.mark.parametrize("exc", [redis.ResponseError("ERR Error running script: bad argument"), ValueError("x")])
def test_an_error_about_what_was_sent_is_not_away(exc: Exception) -> None:
    assert not redis_away(exc)
