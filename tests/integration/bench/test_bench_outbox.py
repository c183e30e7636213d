"""The outbox benchmark runs end to end on small numbers: exit 0 and a JSON with every figure (nothing about speed:
figures are the benchmark's business, not the tests')."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.bench import run_bench


@pytest.mark.slow
def test_the_quick_outbox_benchmark_measures_every_figure(tmp_path: Path) -> None:
    proc = run_bench("bench.outbox", ["--quick", "--out", str(tmp_path)], timeout_s=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (written,) = tmp_path.glob("outbox-*-quick.json")
    fig = json.loads(written.read_text())["figures"]
    assert fig["throughput"]["relay_events_per_s"] > 0 and fig["throughput"]["direct_events_per_s"] > 0
    assert fig["latency"]["outbox_arrived"] == fig["latency"]["events"] == fig["latency"]["direct_arrived"]
    assert {"postgresql_core_percent", "sqlite_core_percent"} <= set(fig["idle"])
    assert fig["cost"]["statements_per_publish"] == 1
    assert "relay throughput" in proc.stdout and "commit-to-Redis p99" in proc.stdout
