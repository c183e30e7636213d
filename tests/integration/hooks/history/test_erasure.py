"""Erasure: an event's bodies nulled and erased_at set, for one event or a whole stack."""

from __future__ import annotations

from sqlalchemy import Engine

from hooks.history.queries import erase_event, erase_stack, get_event
from hooks.history.writer import write_batch

from .factories import BASE_S, DAY_S, event


def test_erasing_an_event_nulls_its_bodies_and_stamps_the_time(history: Engine) -> None:
    target, other = event(BASE_S), event(BASE_S + 1)
    write_batch(history, [target, other])

    assert erase_event(history, target.id) is True

    erased = get_event(history, target.id).event
    assert (erased.body, erased.concise_body, erased.erased_at is not None) == (None, None, True)
    assert get_event(history, other.id).event.body == other.body


def test_erasing_an_unknown_event_finds_nothing(history: Engine) -> None:
    assert erase_event(history, event(BASE_S).id) is False


def test_erasing_a_stack_before_a_time_leaves_later_events_and_other_stacks(history: Engine) -> None:
    old = [event(BASE_S + n * DAY_S, stack="shop") for n in range(3)]
    late = event(BASE_S + 3 * DAY_S, stack="shop")
    blog = event(BASE_S, stack="blog")
    write_batch(history, [*old, late, blog])

    assert erase_stack(history, "shop", before=BASE_S + 3 * DAY_S) == 3
    assert erase_stack(history, "shop", before=BASE_S + 3 * DAY_S) == 0  # already erased

    assert [get_event(history, e.id).event.body for e in old] == [None, None, None]
    assert get_event(history, late.id).event.body == late.body
    assert get_event(history, blog.id).event.body == blog.body
