"""A full Redis (`maxmemory` reached, noeviction): publishes fail at once with a PublishError that says so, the
drains keep delivering, no process exits, and once memory is raised everything acknowledged arrives."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # a fault bench row each


def test_a_full_redis_refuses_publishes_at_once_and_keeps_delivering(fault):
    # Given the Procfile's processes publishing 100 events/s
    # When maxmemory is set just above what Redis uses (noeviction) for 4 s, then raised
    row = fault("redis_full")
    # Then publishes failed saying Redis is out of memory (its own refusal, so at once: the bench times it), and
    # deliveries went on
    assert row["publish_failures"] > 0, "Redis never filled up"
    assert any("memory" in m.lower() for m in row["publish_errors_sample"]), row["publish_errors_sample"]
    assert row["arrived_during_fault"] > 0, "drains stopped while Redis was full"
    # And no process exited, and everything acknowledged arrived
    assert row["processes_dead"] == {}, row["logs"]
    assert row["lost"] == 0
    assert row["problems"] == []
