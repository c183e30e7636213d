"""The benchmark runs end to end on tiny numbers: exit 0 and a JSON with every scenario (nothing about speed)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]  # the project: tests/integration/bench/ is three below
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
    "history",
)


@pytest.mark.slow(first=True)  # the longest test of the suite: started before any other
def test_the_quick_benchmark_runs_every_scenario_and_writes_its_figures(tmp_path: Path) -> None:
    # Given an empty output directory, when the quick benchmark runs as a user would run it
    proc = run_bench(["--quick", "--out", str(tmp_path)], timeout_s=240)

    # Then it succeeds and writes a timestamped JSON and latest.json with a figure set for every scenario
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    stamped = [p for p in tmp_path.glob("*.json") if p.name != "latest.json"]
    assert len(stamped) == 1 and (tmp_path / "latest.json").exists()
    result = json.loads((tmp_path / "latest.json").read_text())
    for name in SCENARIOS:
        assert name in result["figures"], name
        assert "error" not in result["figures"][name], result["figures"][name]
    assert result["table"] and result["errors"] == []


def run_bench(argv: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    """`python -m bench ARGV`; past the timeout it is interrupted (SIGINT: it stops the servers and processes it
    started, which a SIGKILL would leave running) and the test fails."""
    args = [sys.executable, "-m", "bench", *argv]
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            try:
                out, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            first, _, rest = err.partition("\n")  # the first line says where the logs are
            pytest.fail(f"the quick benchmark was still running after {timeout_s} s:\n{first}\n...{rest[-3000:]}")
    return subprocess.CompletedProcess(args, proc.returncode, out, err)
