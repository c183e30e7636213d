"""Trickle: what one delivery costs when events arrive one `publish_event` call at a time (issue 22).

A working tool beside the benchmark, not one of its scenarios: it measures the code of two checkouts back to
back in one invocation (the machine's two cores are shared, so figures from separate runs do not compare):

    python -m bench.trickle --old PATH [--n 5000] [--threads 1] [--slowlog 1000] [--bulk] [--runs 3]

`--old` (required) is the checkout to compare with, a git worktree of this project with its own `.venv`
(`scripts/setup dev` there), e.g. one checked out at the commit before a change.

For each checkout it starts that checkout's own stack (redis-server, PostgreSQL, receiver, one worker, the
scheduler and the archiver, bench/procs.py), registers one webhook, makes `n` `publish_event` calls from one
thread (from `--threads` threads, the events split between them, as bench scenario 12 does), waits for every
delivery and for the archiver to empty the history stream, and prints deliveries/s, CPU ms per delivery of
Redis, the worker and the archiver, and Redis `INFO commandstats` per delivery. Then, with SLOWLOG logging every
command (it costs Redis CPU, so it runs after the measured window), it publishes `--slowlog` more and splits
EVALSHA by script (the sha of each of the checkout's scripts names it), a drain's take calls also by whether they
settled a batch (`take/settling`) or not (`take/fresh`: after an idle or fanned-only turn), and how many found
nothing (`take/idle`). With `--bulk` the
measured events are published with `publish_events`, 500 a call, as scenario 1 does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENT, STACK = "bench.ev", "bench"


def _publish(one: Any, n: int, threads: int) -> None:
    """n `publish_event` calls, from `threads` threads (distinct sequence numbers: the receiver dedupes on them)."""
    if threads <= 1:
        for i in range(n):
            one(i)
        return
    errors: list[BaseException] = []

    def produce(seqs: range) -> None:
        try:
            for i in seqs:
                one(i)
        except BaseException as exc:  # noqa: BLE001 - reported below, not lost in a thread
            errors.append(exc)

    ts = [threading.Thread(target=produce, args=(range(i, n, threads),)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise RuntimeError(f"a producer thread failed: {errors[0]!r}") from errors[0]


def _one(root: Path, n: int, slow_n: int, concurrency: int, bulk: bool, threads: int = 1) -> dict[str, Any]:
    """Measure the checkout at `root` (imported from there: its bench, hooks and workers)."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [str(root)] + [d for d in sys.path if d != here]  # run by path: bench/ itself is no package root
    from bench import load
    from bench.procs import Stack, WorkerSet
    from bench.run import configure
    from hooks.settings import get_settings
    from hooks.store.keys import Keys
    from hooks.store.scripts import all_scripts, lua_script

    stack = Stack(concurrency).start()
    try:
        configure(stack)
        stack.workers(WorkerSet("ours", 1, False))
        client, rcv = stack.client, stack.receiver
        keys = Keys(get_settings())
        load.write_webhooks(client, [(rcv.url + "/t", STACK, [EVENT])])
        one = load.publish_one_ours(EVENT, STACK, 1024)
        for i in range(200):  # warm-up: connections, scripts loaded, drains started
            one(i)
        load.wait_unique(rcv, 200, 60)
        _settle(client, keys)
        rcv.take()
        perf = None
        if os.environ.get("TRICKLE_PERF"):  # a profile of redis-server over the measured window (perf report -i)
            perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock:u", "-F", "2000", "-p",
                                     str(stack.redis.proc.pid), "-o", os.environ["TRICKLE_PERF"]])  # fmt: skip
            time.sleep(0.5)
        cpu0, cmd0 = stack.cpu(), _commandstats(client)
        t0 = time.time()
        if bulk:  # publish_events, 500 a call (scenario 1's producer)
            load.publish_ours(EVENT, STACK, n, 1024)
        else:
            _publish(one, n, threads)
        publish_s = time.time() - t0
        load.wait_unique(rcv, n, 120 + n / 50)
        rows, requests = rcv.take()
        _settle(client, keys)  # the archiver's work for these deliveries counts too
        cpu = {k: round((v - cpu0[k]) * 1000 / n, 3) for k, v in stack.cpu().items()}
        cmd1 = _commandstats(client)
        if perf is not None:
            perf.send_signal(2)
            perf.wait()
        per = {c: (round((cmd1[c][0] - cmd0.get(c, (0, 0))[0]) / n, 3),
                   round((cmd1[c][1] - cmd0.get(c, (0, 0))[1]) / n, 2)) for c in cmd1}  # fmt: skip
        per = {c: v for c, v in per.items() if v[0] > 0}
        scripts = _by_script(
            stack, client, keys, load, one, slow_n, threads, {lua_script(p).sha: p.stem for p in all_scripts()}
        )
        return {"root": str(root), **load.rate_figures(rows, n, t0), "publish_s": round(publish_s, 3),
                "duplicates": requests - len(rows), "cpu_ms_per_delivery": cpu, "commands_per_delivery": per,
                "scripts_per_delivery": scripts}  # fmt: skip
    finally:
        stack.close()


def _settle(client: Any, keys: Any, timeout_s: float = 60) -> None:
    """Wait until the archiver has acknowledged everything in the history stream."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.xlen(keys.history) == 0:
            return
        time.sleep(0.05)


def _commandstats(client: Any) -> dict[str, tuple[int, int]]:
    return {c.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"]))
            for c, v in client.info("commandstats").items()}  # fmt: skip


def _by_script(
    stack: Any, client: Any, keys: Any, load: Any, one: Any, n: int, threads: int, names: dict[str, str]
) -> Any:
    """Publish n more with every command in SLOWLOG: calls and usec per delivery of each script and command."""
    if n <= 0:
        return {}
    client.config_set("slowlog-max-len", 1_000_000)
    client.config_set("slowlog-log-slower-than", 0)
    client.slowlog_reset()
    _publish(one, n, threads)
    load.wait_unique(stack.receiver, n, 120)
    stack.receiver.take()
    _settle(client, keys)
    client.config_set("slowlog-log-slower-than", 10_000)
    entries = client.slowlog_get(1_000_000)
    calls: Counter[str] = Counter()
    usec: defaultdict[str, int] = defaultdict(int)
    for e in entries:
        cmd = e["command"]
        parts = (cmd.decode(errors="replace") if isinstance(cmd, bytes) else cmd).split(" ")
        name = parts[0].upper()
        if name in ("EVALSHA", "EVALSHA_RO") and len(parts) > 1:
            name = "script:" + names.get(parts[1].lower(), parts[1][:8])
            if name == "script:take" and len(parts) > 16:  # EVALSHA sha 0 ARGV...: ARGV[14] is the settled webhook
                calls["take/" + ("settling" if parts[16] not in ("", '""') else "fresh")] += 1
        elif name == "ZADD" and len(parts) > 1 and parts[1].endswith(":drains:idle"):
            calls["take/idle"] += 1  # a take that found nothing: the drain registers as idle
        if name in ("SLOWLOG", "CONFIG"):
            continue
        calls[name] += 1
        usec[name] += int(e["duration"])
    return {k: (round(calls[k] / n, 3), round(usec[k] / n, 2)) for k, _ in calls.most_common()}


def _run_checkout(label: str, root: Path, python: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [python, str(Path(__file__).resolve()), "--one", str(root), "--n", str(args.n),
           "--slowlog", str(args.slowlog), "--concurrency", str(args.concurrency), "--threads", str(args.threads),
           *(["--bulk"] if args.bulk else [])]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr[-3000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _print(label: str, fig: dict[str, Any]) -> None:
    if "error" in fig:
        print(f"== {label}: failed\n{fig['error']}")
        return
    cpu = fig["cpu_ms_per_delivery"]
    print(
        f"== {label} ({fig['root']}): {fig['deliveries_per_s']} deliveries/s, {fig['delivered']}/{fig['expected']}"
        f" delivered, {fig['duplicates']} duplicates, publish {fig['publish_s']} s"
    )
    print("   CPU ms/delivery: " + ", ".join(f"{k} {cpu[k]}" for k in ("redis", "workers", "archiver", "scheduler",
                                                                       "postgres", "receiver")))  # fmt: skip
    cmds = sorted(fig["commands_per_delivery"].items(), key=lambda kv: -kv[1][1])
    total_calls = sum(v[0] for _, v in cmds)
    total_us = sum(v[1] for _, v in cmds)
    print(f"   commandstats per delivery: {total_calls:.2f} calls, {total_us:.1f} us (Redis-timed)")
    for c, (calls, us) in cmds:
        print(f"     {c:<22} {calls:8.3f} calls {us:8.2f} us")
    if fig["scripts_per_delivery"]:
        print("   SLOWLOG per delivery (calls, us), scripts by name:")
        for c, (calls, us) in fig["scripts_per_delivery"].items():
            print(f"     {c:<28} {calls:8.3f} calls {us:8.2f} us")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000, help="publish_event calls measured")
    p.add_argument("--slowlog", type=int, default=1000, help="calls published again with SLOWLOG on (0: none)")
    p.add_argument("--old", help="the checkout to compare with, a worktree with its own .venv (required)")
    p.add_argument("--threads", type=int, default=1, help="publishing threads (the events split between them)")
    p.add_argument("--only", default="old,new", help="old, new or both")
    p.add_argument("--concurrency", type=int, default=32, help="threads of the worker process")
    p.add_argument("--runs", type=int, default=1, help="old and new this many times each, alternating")
    p.add_argument("--bulk", action="store_true", help="publish with publish_events, 500 a call, instead")
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(_one(Path(args.one), args.n, args.slowlog, args.concurrency, args.bulk, args.threads)))
        return 0
    if args.threads < 1:
        p.error("--threads must be at least 1.")
    if "old" in args.only.split(",") and not args.old:
        p.error("--old is required: give the path of the checkout to compare with (a worktree with its own .venv).")
    old = Path(args.old or ".")
    runs = {"old": (old, str(old / ".venv/bin/python")), "new": (ROOT, sys.executable)}
    medians: dict[str, list[dict[str, float]]] = {}
    for run in range(args.runs):  # old and new alternate: a busy spell on the shared cores hits both
        for label in args.only.split(","):
            root, python = runs[label]
            fig = _run_checkout(label, root, python, args)
            _print(f"{label}, run {run + 1}/{args.runs}", fig)
            if "error" not in fig:
                medians.setdefault(label, []).append(fig["cpu_ms_per_delivery"])
            sys.stdout.flush()
    if args.runs > 1:
        for label, cpus in medians.items():
            mid = {k: sorted(c[k] for c in cpus)[len(cpus) // 2] for k in ("redis", "workers", "archiver", "postgres")}
            print(
                f"== {label}: median of {len(cpus)} runs, CPU ms/delivery: "
                + ", ".join(f"{k} {v}" for k, v in mid.items())
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
