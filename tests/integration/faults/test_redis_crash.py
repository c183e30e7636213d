"""Redis SIGKILLed under load and restarted from its AOF: the processes carry on by themselves (none exits,
deliveries resume within 5 s), and with `appendfsync always` no acknowledged event is lost."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # a fault bench row each


def test_redis_killed_with_appendfsync_always_loses_no_acknowledged_event(fault):
    # Given the Procfile's processes on a Redis with AOF and appendfsync always, publishing 100 events/s
    # When Redis is SIGKILLed and started again 2 s later
    row = fault("redis_always")
    # Then no process exits, deliveries resume (how soon: the fault bench's figure), and every acknowledged
    # event arrives
    assert row["processes_dead"] == {}
    assert row["first_delivery_after_s"] is not None
    assert row["lost"] == 0
    assert row["problems"] == []


def test_redis_killed_with_appendfsync_everysec_is_ridden_out(fault):
    # Given the same on appendfsync everysec (a SIGKILL loses at most what the kernel had not been given)
    row = fault("redis_everysec")
    # Then the processes ride it out; what was lost, if anything, is measured (the row allows it)
    assert row["processes_dead"] == {}
    assert row["problems"] == []
