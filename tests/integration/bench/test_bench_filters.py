"""`python -m bench.filters --quick` runs end to end: every way is measured and the ratio printed (nothing about
speed: tiny numbers on a shared machine say nothing)."""

from __future__ import annotations

from tests.support.bench import run_bench


def test_the_quick_filters_benchmark_measures_every_way_and_prints_the_ratio() -> None:
    proc = run_bench("bench.filters", ["--quick"], timeout_s=120)

    # exit 1 only for a missed target, which tiny numbers may give; anything else (a traceback) is a failure
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stdout[-2000:] + proc.stderr[-2000:]
    for way in ("none", "match", "shared", "miss"):
        assert f"  {way} " in proc.stdout, proc.stdout
    assert "filters that match, against none: x" in proc.stdout
