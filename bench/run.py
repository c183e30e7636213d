"""Orchestrate the benchmark: start the processes, run every scenario (N runs), stop everything, report.

python -m bench [--quick] [--runs 3] [--out bench/results] [--only throughput,latency]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import baseline, commandstats, report, scenarios  # noqa: E402
from bench import history_scenarios as hs  # noqa: E402
from bench import rate as rate_scenario  # noqa: E402
from bench import redis_scenarios as rs  # noqa: E402
from bench import singles as singles_scenario  # noqa: E402
from bench.procs import PRODUCT_ENV, Stack  # noqa: E402
from bench.sizes import FULL, QUICK, Sizes  # noqa: E402

SCENARIOS = (
    "publishing",
    "matching",
    "throughput",
    "latency",
    "fanout",
    "isolation",
    "scaling",
    "ordered",
    "rate",
    "retry_backlog",
    "history",
    "singles",
)
RESULTS = Path(__file__).resolve().parent / "results"


def configure(stack: Stack) -> None:
    """Point this process (the producer side) at the stack's Redis with the product settings."""
    from hooks.settings import reset_settings
    from hooks.store.connection import close_all

    os.environ.update({**PRODUCT_ENV, "REDIS_URL": stack.redis.url, "HOOKS_DATABASE_URL": stack.pg.url})
    reset_settings(None)
    close_all()
    baseline.use_broker(stack.redis.url)


def one_run(stack: Stack, sz: Sizes, only: set[str], log: Any) -> tuple[dict[str, Any], list[str]]:
    """Every scenario once; a scenario that fails is recorded as an error and the others still run."""
    fig: dict[str, Any] = {}
    errors: list[str] = []
    rates = {"ours": 200.0, "baseline": 100.0}  # used only when throughput is not part of this run

    def step(name: str, fn: Any) -> None:
        if name not in only:
            return
        t = time.monotonic()
        try:
            fig[name] = fn()
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not hide the others
            fig[name] = {"error": f"{type(exc).__name__}: {exc}"}
            errors.append(f"{name}: {traceback.format_exc()}")
            stack.stop_workers(kill=True)
        log(f"  {name}: {time.monotonic() - t:.1f}s")

    step("publishing", lambda: rs.publishing(stack, sz))
    step("matching", lambda: rs.matching(stack, sz))
    step("throughput", lambda: scenarios.throughput(stack, sz))
    for kind in rates:
        rates[kind] = float(
            (fig.get("throughput") or {}).get(f"{kind}_events_off", {}).get("deliveries_per_s") or rates[kind]
        )
    step("latency", lambda: scenarios.latency(stack, sz, rates))
    step("singles", lambda: singles_scenario.singles(stack, sz))  # after latency: its worker set still runs
    step("fanout", lambda: scenarios.fanout(stack, sz))
    step("isolation", lambda: scenarios.isolation(stack, sz, rates))
    step("scaling", lambda: scenarios.scaling(stack, sz))
    step("ordered", lambda: scenarios.ordered(stack, sz))
    step("rate", lambda: rate_scenario.rate(stack, sz))
    step("retry_backlog", lambda: rs.retry_backlog(stack, sz))
    step("history", lambda: hs.history(stack, sz))
    return fig, errors


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description="Benchmark ours against a plain Celery baseline.")
    p.add_argument("--quick", action="store_true", help="tiny numbers (the test suite runs this)")
    p.add_argument("--runs", type=int, default=1, help="runs per figure; the table shows the median (default 1)")
    p.add_argument("--out", type=Path, default=RESULTS, help="directory for <UTC timestamp>.json and latest.json")
    p.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios (default: all)")
    p.add_argument("--concurrency", type=int, default=32, help="threads per worker process, ours and baseline")
    p.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (kept anyway on an error)")
    p.add_argument("--history-n", type=int, help="finished deliveries of scenario 9 (the target's is 1,000,000)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SCENARIOS)
    if unknown or args.runs < 1:
        print(
            f"unknown scenario(s) {sorted(unknown)} or bad --runs; choose from {', '.join(SCENARIOS)}", file=sys.stderr
        )
        return 2
    sz = QUICK if args.quick else FULL
    if args.history_n:
        sz = dataclasses.replace(sz, history_n=args.history_n)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    started = time.monotonic()
    stack = Stack(args.concurrency)
    runs: list[dict[str, Any]] = []
    errors: list[str] = []
    try:
        stack.start()
        configure(stack)
        log(f"redis {stack.redis.url}, receiver {stack.receiver.url}, dead {stack.dead_url}, logs {stack.log_dir}")
        for i in range(args.runs):
            log(f"run {i + 1}/{args.runs}")
            fig, errs = one_run(stack, sz, only, log)
            runs.append(fig)
            errors += errs
    finally:
        stack.close()
    figures = report.median_of(runs)
    table_rows = report.rows(figures)
    wall_s = round(time.monotonic() - started, 1)
    result = {
        "meta": {"quick": args.quick, "runs": args.runs, "concurrency": args.concurrency, "wall_s": wall_s,
                 "cpus": os.cpu_count(), "python": platform.python_version(), "sizes": sz.__dict__,
                 "argv": sys.argv[1:], "logs": str(stack.log_dir)},
        "figures": figures,
        "table": [dict(zip(("scenario", "metric", "ours", "baseline", "target", "met"), r, strict=True)) for r in table_rows],
        "runs": runs,
        "errors": errors,
    }  # fmt: skip
    path = report.write(args.out, result)
    print(report.table(table_rows))
    for label, stats in report.redis_calls(figures):
        print("\n" + "\n".join(commandstats.lines(label, stats)))
    print(f"\n{args.runs} run(s), median shown; wall {wall_s}s; JSON: {path}")
    for e in errors:
        log(e)
    if errors or args.keep_logs:
        log(f"logs kept in {stack.log_dir}")
    else:
        shutil.rmtree(stack.log_dir, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
