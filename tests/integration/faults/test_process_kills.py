"""A worker, the scheduler or the archiver SIGKILLed under load and restarted at once (as a supervisor would):
every acknowledged event arrives, and the history holds every delivery exactly once."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # a fault bench row each


@pytest.mark.parametrize("process", ["worker", "scheduler", "archiver"])
def test_a_process_killed_and_restarted_loses_nothing(process, fault):
    # Given the Procfile's processes delivering 100 events/s (for the scheduler, 5% answered 500 and retried)
    # When one process is SIGKILLed and started again
    row = fault(f"{process}_kill")
    # Then every acknowledged event arrives, no process died by itself, and the history holds each delivery once
    assert row["lost"] == 0 and row["publish_abandoned"] == 0
    assert row["history"]["missing"] == 0 and row["history"]["duplicate_rows"] == 0
    assert row["problems"] == []
