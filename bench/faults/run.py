"""Run the faults, one after the other, each on its own private stack; print the Reliability table.

python -m bench.faults [--only worker_kill,redis_always] [--json out.json] [--keep-logs] [--list]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.faults import measure, report
from bench.faults.faults import BY_NAME, FAULTS, Fault, Marks, Params
from bench.faults.load import Publisher, Tally
from bench.faults.stack import FaultStack
from bench.faults.support import min_replicas_unsupported, sentinel_unsupported, sentinel_url_parses
from hooks.local.postgres import PostgresServer

EXAMPLE_SENTINEL_URL = "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381/hooks/0"


def unsupported_before_start(fault: Fault) -> str | None:
    """Why the row cannot run on this product yet, when that is known without starting anything."""
    if fault.needs_min_replicas and (reason := min_replicas_unsupported()):
        return reason
    if fault.redis == "sentinel":
        return sentinel_url_parses(EXAMPLE_SENTINEL_URL)
    return None


def run_fault(fault: Fault, params: Params, pg: PostgresServer, log_dir: Path, log: Any = print) -> dict[str, Any]:
    """One row: start a stack, load it, do the fault, measure, stop everything. Never raises."""
    if reason := unsupported_before_start(fault):
        return {"fault": fault.name, "title": fault.label(params), "skipped": reason}
    stack = FaultStack(fault.name, pg, log_dir, redis_kind=fault.redis, env={**params.env, **fault.env},
                       concurrency=params.concurrency)  # fmt: skip
    began = time.monotonic()
    try:
        stack.start_servers()
        if stack.topology is not None and (reason := sentinel_unsupported(stack.topology.url)):
            return {"fault": fault.name, "title": fault.label(params), "skipped": reason}
        stack.start_processes()
        return _measure(fault, params, stack, log)
    except Exception as exc:  # noqa: BLE001 - one broken row must not hide the others
        return {"fault": fault.name, "title": fault.label(params), "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-4000:], "logs": measure.scan_logs(stack.logs()),
                "processes_dead": stack.dead(), "problems": [f"the run failed: {type(exc).__name__}: {exc}"]}  # fmt: skip
    finally:
        stack.close()
        log(f"  {fault.name}: {time.monotonic() - began:.0f} s")


def _measure(fault: Fault, params: Params, stack: FaultStack, log: Any) -> dict[str, Any]:
    if fault.chaos:
        stack.receiver.chaos[stack.path] = fault.chaos
    retry = {"base_s": 1, "factor": 2, "max_attempts": 30} if fault.chaos else None
    stack.create_webhook(retry=retry)
    pub = Publisher(fault.name, params.rate, give_up_s=params.give_up_s)
    pub.start()
    time.sleep(params.before_s)
    marks: Marks = fault.inject(stack, params)
    pub.stop_at = marks.end + params.after_s
    deadline = marks.end + params.recover_s  # everything after the fault shares one budget: the row is bounded
    tally = Tally(stack.receiver, stack.path)
    marks.notes["history_caught_up_s"] = _history_catch_up(stack, tally.update(), marks.end, deadline)
    pub.join(timeout=max(0.0, deadline - time.monotonic()))
    if pub.is_alive():
        marks.notes["publisher"] = "still retrying when the bench stopped waiting"
    measure.wait_delivered(tally, pub, stack, deadline)
    history = measure.wait_history(stack, tally, marks.end, deadline)
    pub.stop_at = 0.0  # a publisher still retrying stops at its next event
    return {**measure.row(fault, pub, tally, marks, history, stack, timed=params.timed), "title": fault.label(params)}


def _history_catch_up(stack: FaultStack, tally: Tally, since: float, deadline: float) -> float | None:
    """Seconds from the fault's end until the history holds every delivery that had arrived by then."""
    wanted = set(tally.webhook_ids)
    while time.monotonic() < deadline:
        state = measure.history_state(stack.database_url)
        if "error" not in state and wanted <= state["delivered_ids"]:
            return round(time.monotonic() - since, 2)
        if stack.dead():
            return None  # the row failed: the final check says what the history holds
        time.sleep(0.25)
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m bench.faults`: exits 1 when a row that ran failed."""
    args = _parser().parse_args(argv)
    if args.list:
        for f in FAULTS:
            print(f"{f.name:24} {f.title}")
        return 0
    chosen = _chosen(args.only)
    params = Params(rate=args.rate, database_down_s=args.database_down_s)
    log_dir = Path(args.log_dir or tempfile.mkdtemp(prefix="hooks-faults-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    print(f"faults: {', '.join(f.name for f in chosen)}; logs in {log_dir}", flush=True)
    pg = PostgresServer().start()
    rows = []
    try:
        for fault in chosen:
            rows.append(run_fault(fault, params, pg, log_dir, log=lambda m: print(m, flush=True)))
    finally:
        pg.stop()
    result = {"date": started.isoformat(timespec="seconds"), "wall_s": round(time.monotonic() - t0, 1),
              "command": "python -m bench.faults " + " ".join(argv if argv is not None else sys.argv[1:]),
              "machine": _machine(), "params": {k: v for k, v in vars(params).items() if k != "env"},
              "rows": rows}  # fmt: skip
    print(report.table(rows))
    print(report.notes(rows))
    print(f"wall {result['wall_s']} s, {result['date']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=sorted))
    if not args.keep_logs and args.log_dir is None:
        shutil.rmtree(log_dir, ignore_errors=True)
    return 1 if any(r.get("problems") for r in rows) else 0


def _chosen(only: str | None) -> list[Fault]:
    if not only:
        return list(FAULTS)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    return [BY_NAME[n] for n in names]


def _machine() -> dict[str, Any]:
    import celery
    import kombu
    import redis

    from hooks.local.servers import redis_server_binary

    version = subprocess.run(
        [redis_server_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "celery": celery.__version__,
            "kombu": kombu.__version__, "redis_py": redis.__version__, "redis_server": version}  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    p.add_argument("--only", help="comma-separated fault names (see --list)")
    p.add_argument("--json", help="write every figure and the evidence (log excerpts) here")
    p.add_argument("--rate", type=float, default=300.0, help="events/s (default 300)")
    p.add_argument("--database-down-s", type=float, default=60.0, help="the database outage (default 60 s)")
    p.add_argument("--log-dir", help="keep the processes' logs here")
    p.add_argument("--keep-logs", action="store_true", help="keep the logs' temporary directory")
    p.add_argument("--list", action="store_true", help="list the faults and exit")
    return p
