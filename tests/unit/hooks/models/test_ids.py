"""Ids sort by time and delivery ids are derived, so fan-out is idempotent."""

import pytest

from hooks.models.ids import delivery_id, new_event_id, new_webhook_id, split_delivery_id, timestamp_ms


def test_ids_made_in_a_burst_sort_in_creation_order():
    ids = [new_event_id() for _ in range(2000)]
    assert ids == sorted(ids) and len(set(ids)) == 2000


def test_a_delivery_id_is_derived_from_its_event_and_webhook():
    ev, wh = new_event_id(), new_webhook_id()
    assert delivery_id(ev, wh) == delivery_id(ev, wh)
    assert split_delivery_id(delivery_id(ev, wh)) == (ev, wh)


def test_an_id_carries_its_creation_time():
    import time

    assert abs(timestamp_ms(new_event_id()) - time.time() * 1000) < 5000


@pytest.mark.parametrize("bad", ["", "msg_", "evt_x", "msg_a", "msg_a_b_c"])
def test_split_refuses_what_is_not_a_delivery_id(bad):
    with pytest.raises(ValueError):
        split_delivery_id(bad)
