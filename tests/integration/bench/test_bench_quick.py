"""The benchmark runs end to end on tiny numbers: exit 0 and a JSON with every scenario (nothing about speed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.bench import run_bench

SCENARIOS = (
    "throughput",
    "latency",
    "fanout",
    "isolation",
    "retry_backlog",
    "matching",
    "publishing",
    "scaling",
    "ordered",
    "rate",
    "history",
)


@pytest.mark.slow(first=True)  # the longest test of the suite: started before any other
def test_the_quick_benchmark_runs_every_scenario_and_writes_its_figures(tmp_path: Path) -> None:
    # Given an empty output directory, when the quick benchmark runs as a user would run it
    proc = run_bench("bench", ["--quick", "--out", str(tmp_path)], timeout_s=240)

    # Then it succeeds and writes a timestamped JSON and latest.json with a figure set for every scenario
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    stamped = [p for p in tmp_path.glob("*.json") if p.name != "latest.json"]
    assert len(stamped) == 1 and (tmp_path / "latest.json").exists()
    result = json.loads((tmp_path / "latest.json").read_text())
    for name in SCENARIOS:
        assert name in result["figures"], name
        assert "error" not in result["figures"][name], result["figures"][name]
    assert result["table"] and result["errors"] == []
