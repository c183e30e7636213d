"""The benchmark runs end to end on tiny numbers: exit 0 and a JSON with every scenario (nothing about speed).

The scenarios run in three groups, each a `python -m bench --quick --only ...` of its own (its own Redis,
PostgreSQL, receivers and workers), so the groups run side by side on the suite's test processes: one run of every
scenario took 240 s on a loaded two-core machine, the whole of a test's time limit. Together the groups name every
scenario of `bench.run.SCENARIOS` (a test below checks it), so a new scenario cannot be left out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.run import SCENARIOS
from tests.support.bench import run_bench

# about a third of the quick run each (seconds on a loaded two-core machine: 81, 64, 87)
GROUPS = {
    "workers": ("throughput", "latency", "isolation"),
    "scale": ("scaling", "fanout", "publishing", "matching", "singles"),
    "backlogs": ("history", "retry_backlog", "ordered", "rate"),
}


def test_the_groups_name_every_scenario_once() -> None:
    named = [name for group in GROUPS.values() for name in group]
    assert sorted(named) == sorted(SCENARIOS)


@pytest.mark.slow(first=True)  # the longest tests of the suite: started before any other
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_the_quick_benchmark_runs_every_scenario_and_writes_its_figures(tmp_path: Path, group: str) -> None:
    # Given an empty output directory, when the quick benchmark runs a group of scenarios as a user would run it
    proc = run_bench("bench", ["--quick", "--only", ",".join(GROUPS[group]), "--out", str(tmp_path)], timeout_s=240)

    # Then it succeeds and writes a timestamped JSON and latest.json with a figure set for every scenario
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    stamped = [p for p in tmp_path.glob("*.json") if p.name != "latest.json"]
    assert len(stamped) == 1 and (tmp_path / "latest.json").exists()
    result = json.loads((tmp_path / "latest.json").read_text())
    for name in GROUPS[group]:
        assert name in result["figures"], name
        assert "error" not in result["figures"][name], result["figures"][name]
    assert result["table"] and result["errors"] == []
