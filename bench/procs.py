"""Every process the benchmark starts: its redis-server and PostgreSQL, receivers, workers, scheduler and archiver,
stopped by pid.

`Stack` owns them all; `Stack.close()` (called from a `finally`) stops whatever is still running. Workers are
started on demand with `Stack.workers(...)`, which keeps the running set when the same one is asked for again
and stops the others, so an idle worker never competes for the two cores with the one being measured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from bench import baseline
from bench.receiver import ReceiverClient
from hooks.history.db import upgrade
from hooks.local.postgres import PostgresServer
from hooks.local.processes import archiver_args, scheduler_args, start_process, stop_process, worker_args
from hooks.local.servers import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 60.0

PRODUCT_ENV = {
    "HOOKS_ALLOW_PRIVATE_NETWORKS": "true",
    "HOOKS_REQUIRE_HTTPS": "false",
    "HOOKS_KEY_PREFIX": "bench",
}


@dataclass(frozen=True)
class WorkerSet:
    """Which workers run: ours or the baseline, how many processes, Flower events on or off, extra env."""

    kind: str  # ours | baseline
    processes: int = 1
    events: bool = False
    env: tuple[tuple[str, str], ...] = ()
    queues: str = "events,deliveries"  # ours only
    pool: str = "threads"  # baseline only: "prefork" runs Celery's default pool, one process per core
    concurrency: int = 0  # threads per process; 0: the stack's (--concurrency)


class Stack:
    """The benchmark's private processes on 127.0.0.1."""

    def __init__(self, concurrency: int, log_dir: str | None = None) -> None:
        self.concurrency = concurrency
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="hooks-bench-"))
        self.redis = RedisServer()
        self.pg = PostgresServer()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.running: tuple[WorkerSet | None, list[subprocess.Popen[bytes]]] = (None, [])
        self.sched: subprocess.Popen[bytes] | None = None
        self.archiver: subprocess.Popen[bytes] | None = None
        self.fast: ReceiverClient | None = None
        self.dead_url = ""
        self._seq = 0
        self.receiver_pid = 0
        self._client: redis.Redis | None = None

    def start(self) -> Stack:
        self.redis.start()
        self.pg.start()
        upgrade(self.pg.url)
        self.fast = ReceiverClient(self._receiver(dead=False))
        self.dead_url = f"http://127.0.0.1:{self._receiver(dead=True)}"
        return self

    @property
    def client(self) -> redis.Redis:
        """A plain client on our Redis (the benchmark's own reads, cleaning, INFO)."""
        if self._client is None:
            self._client = redis.Redis.from_url(self.redis.url)
        return self._client

    @property
    def receiver(self) -> ReceiverClient:
        """The fast receiver (204 at once)."""
        assert self.fast is not None, "Stack.start() first"
        return self.fast

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of every process we start (and of this one, see `run.configure`)."""
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, **PRODUCT_ENV, "REDIS_URL": self.redis.url, "HOOKS_DATABASE_URL": self.pg.url,
                "PYTHONPATH": path,
                "HOOKS_WORKER_CONCURRENCY": str(self.concurrency), "BENCH_CONCURRENCY": str(self.concurrency),
                **(extra or {})}  # fmt: skip

    def workers(self, wanted: WorkerSet) -> list[subprocess.Popen[bytes]]:
        """Make exactly `wanted` run (reusing it if it already does) and return its processes."""
        current, procs = self.running
        if current == wanted and all(p.poll() is None for p in procs):
            return procs
        self.stop_workers()
        started = [self._start_worker(wanted, i) for i in range(wanted.processes)]
        waits = [(p, log, " ready.") for p, log in started]
        if wanted.kind == "ours":  # the scheduler (retries, deferrals) and the archiver (the history) run too
            self.sched, log = self._spawn(scheduler_args(), "scheduler", dict(wanted.env))
            waits.append((self.sched, log, "scheduler started"))
            self.archiver = self.start_archiver(dict(wanted.env))
        for p, log, text in waits:
            _wait_for_line(log, text, p)
        self.running = (wanted, [p for p, _ in started])
        return self.running[1]

    def stop_workers(self, *, kill: bool = False) -> None:
        """Stop the running workers (SIGKILL when their state no longer matters and they may be stuck)."""
        _, procs = self.running
        for p in procs:
            stop_process(p, timeout_s=10, kill=kill)
        stop_process(self.sched, timeout_s=10)
        stop_process(self.archiver, timeout_s=10)
        self.sched = self.archiver = None
        self.running = (None, [])

    def stop_archiver(self) -> None:
        """Stop the running archiver (records then wait in the stream)."""
        stop_process(self.archiver, timeout_s=10)
        self.archiver = None

    def start_archiver(self, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start an archiver (it writes the history) and wait until it runs."""
        proc, log = self._spawn(archiver_args(), "archiver", extra)
        _wait_for_line(log, "archiver started", proc)
        return proc

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the running workers (together), the scheduler, Redis and the receiver."""
        _, workers = self.running
        return {
            "workers": sum(tree_cpu_s(p.pid) for p in workers),  # with prefork's children
            "scheduler": cpu_s(self.sched.pid) if self.sched else 0.0,
            "archiver": cpu_s(self.archiver.pid) if self.archiver else 0.0,
            "redis": cpu_s(self.redis.proc.pid) if self.redis.proc else 0.0,
            "postgres": tree_cpu_s(self.pg.pid) if self.pg.pid else 0.0,
            "receiver": cpu_s(self.receiver_pid),
        }

    def cpu_of(self, proc: subprocess.Popen[bytes]) -> float:
        """CPU seconds one of our processes has used so far."""
        return cpu_s(proc.pid)

    def close(self) -> None:
        """Stop every process we started, newest first, then Redis."""
        for p in reversed(self.procs):
            stop_process(p, timeout_s=10)
        if self._client is not None:
            self._client.close()
        self.redis.stop()
        self.pg.stop()

    def _start_worker(self, ws: WorkerSet, i: int) -> tuple[subprocess.Popen[bytes], Path]:
        if ws.kind == "ours":
            args = worker_args(concurrency=ws.concurrency or self.concurrency, queues=ws.queues, name=f"bench{i}")
            env = {**dict(ws.env), "HOOKS_WORKER_TASK_EVENTS": "true" if ws.events else "false"}
            return self._spawn(args, f"{ws.kind}{i}", env)
        else:
            concurrency = self.concurrency if ws.pool == "threads" else os.cpu_count() or 2
            args = baseline.worker_args(concurrency=concurrency, events=ws.events, name=f"baseline{i}", pool=ws.pool)
        return self._spawn(args, f"{ws.kind}{i}", dict(ws.env))

    def _receiver(self, *, dead: bool) -> int:
        port = free_port()
        args = [sys.executable, "-m", "bench.receiver", "--port", str(port), *(["--dead"] if dead else [])]
        proc, log = self._spawn(args, "dead-receiver" if dead else "receiver")
        _wait_for_line(log, "ready", proc)
        if not dead:
            self.receiver_pid = proc.pid
        return port

    def _spawn(
        self, args: list[str], name: str, extra: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        self._seq += 1
        log = self.log_dir / f"{self._seq:02d}-{name}.log"
        proc = start_process(args, self.env(extra), log)
        self.procs.append(proc)
        return proc, log


def _wait_for_line(log: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited: {_tail(log)}")
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"process {proc.pid} not ready within {READY_TIMEOUT_S}s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-1500:] if log.exists() else ""


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc/<pid>/status (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc/<pid>/stat; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and its children (PostgreSQL's backends), read from /proc."""
    total = cpu_s(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total
