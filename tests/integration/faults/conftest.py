"""The fault tests run the fault bench's own rows (bench/faults/) on small numbers: a few hundred events, outages
of a few seconds, leases shortened so that a killed drain's work comes back in about 13 s, not 40."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.faults.faults import BY_NAME, Params
from bench.faults.run import run_fault
from hooks.local.postgres import PostgresServer

FAST = {
    "HOOKS_DRAIN_SLICE_S": "1",
    "HOOKS_CONNECT_TIMEOUT_S": "1",
    "HOOKS_REQUEST_TIMEOUT_S": "1",  # the receiver answers at once
    "HOOKS_VISIBILITY_TIMEOUT_S": "5",
    "HOOKS_ARCHIVE_CLAIM_IDLE_S": "2",
    "HOOKS_SCHEDULER_POLL_S": "0.05",
}
SMALL = Params(rate=100, before_s=1.5, after_s=1.5, redis_down_s=2, full_s=4, full_headroom_bytes=64 * 1024,
               recover_s=40, give_up_s=30, env=FAST, timed=False)  # fmt: skip
# timed=False: the tests check what happened (nothing lost, no process exited, deliveries resumed); how fast is
# the bench's to measure (`python -m bench.faults` checks the 5 s and 10 s targets)


@pytest.fixture
def fault(postgres_server: PostgresServer, log_dir: Path) -> Callable[..., dict[str, Any]]:
    """Run one row of the fault bench (`python -m bench.faults --list` names them) on small numbers; skips the
    test when the product does not support what the row needs yet."""

    def run(name: str, **changes: Any) -> dict[str, Any]:
        row = run_fault(BY_NAME[name], dataclasses.replace(SMALL, **changes), postgres_server, log_dir,
                        log=lambda _: None)  # fmt: skip
        if "skipped" in row:
            pytest.skip(row["skipped"])
        assert "error" not in row, f"{row['error']}\n{row.get('traceback', '')}"
        print(f"\n{name}: published {row['published']}, arrived {row['arrived']}, lost {row['lost']}, "
              f"duplicated {row['duplicated']}, first delivery {row['first_delivery_after_s']} s and all "
              f"{row['all_delivered_after_s']} s after the fault; problems {row['problems']}")  # fmt: skip
        return row

    return run
