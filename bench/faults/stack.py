"""One fault's private world on 127.0.0.1: its Redis, a fresh history database, a receiver, and the Procfile's
processes (worker, scheduler, archiver) started as the README starts them, each stopped by pid.

The Redis is a `DurableRedis` (AOF, `appendfsync always` or `everysec`, fixed directory) or a `SentinelTopology`
(then `REDIS_URL` is its `redis+sentinel://` form). The history is a new database on the PostgreSQL given, at the
head revision. This process (the producer) is pointed at the same settings, so `publish_event` goes there too.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import redis
from sqlalchemy import text

from hooks.local.postgres import PostgresServer
from hooks.local.processes import archiver_args, scheduler_args, start_process, stop_process, worker_args
from hooks.local.receiver import Receiver
from hooks.local.sentinel import DurableRedis, SentinelTopology

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ("worker", "scheduler", "archiver")
READY_LINE = {"worker": " ready.", "scheduler": "scheduler started", "archiver": "archiver started"}
BASE_ENV = {"HOOKS_ALLOW_PRIVATE_NETWORKS": "true", "HOOKS_REQUIRE_HTTPS": "false", "HOOKS_KEY_PREFIX": "faults"}
_databases = itertools.count(1)


def process_env(redis_url: str, database_url: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of every process: ours, without any REDIS_URL or HOOKS_* this process inherited."""
    inherited = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("HOOKS_")}
    path = os.pathsep.join(p for p in (str(ROOT), inherited.get("PYTHONPATH", "")) if p)
    return {**inherited, "PYTHONPATH": path, **BASE_ENV, "REDIS_URL": redis_url,
            "HOOKS_DATABASE_URL": database_url, **overrides}  # fmt: skip


class FaultStack:
    """A fault's Redis, database, receiver and processes; `close()` stops everything it started, by pid."""

    def __init__(
        self,
        name: str,
        pg: PostgresServer,
        log_dir: Path,
        *,
        redis_kind: str = "always",
        env: Mapping[str, str] | None = None,
        concurrency: int = 32,
    ) -> None:
        self.name, self.pg, self.log_dir, self.concurrency = name, pg, log_dir, concurrency
        self.redis_kind = redis_kind
        self.overrides = dict(env or {})
        self.redis: DurableRedis | None = None
        self.topology: SentinelTopology | None = None
        self.receiver = Receiver()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.database = f"faults_{os.getpid()}_{next(_databases)}"
        self.database_made = False
        self.env: dict[str, str] = {}
        self.path = f"/{name}"
        self.webhook_id = ""
        self._starts = itertools.count(1)

    @property
    def database_url(self) -> str:
        return self.pg.url.rsplit("/", 1)[0] + f"/{self.database}"

    def start(self) -> FaultStack:
        """Start the servers, then the processes."""
        return self.start_servers().start_processes()

    def start_servers(self) -> FaultStack:
        """Start the Redis, the database and the receiver; point this process at them."""
        from hooks.history.db import upgrade

        if self.redis_kind == "sentinel":
            # with min replicas 1, two replicas: the new primary keeps one while the old primary comes back
            replicas = 2 if int(self.overrides.get("HOOKS_PUBLISH_MIN_REPLICAS", "0")) > 0 else 1
            self.topology = SentinelTopology(replicas=replicas).start()
            redis_url = self.topology.url
        else:
            self.redis = DurableRedis(fsync=self.redis_kind).start()
            redis_url = self.redis.url
        self._admin(f"CREATE DATABASE {self.database}")
        self.database_made = True
        upgrade(self.database_url)
        self.receiver.start()
        self.env = process_env(redis_url, self.database_url, self.overrides)
        self.configure_this_process()
        return self

    def start_processes(self) -> FaultStack:
        """Start the worker, the scheduler and the archiver; returns once each is ready."""
        for role in PROCESSES:
            self.start_process(role)
        for role in PROCESSES:
            self.wait_ready(role)
        return self

    def configure_this_process(self) -> None:
        """Make the stack's settings this process's settings, with fresh clients."""
        from hooks.history.connection import close_engines
        from hooks.settings import Settings, reset_settings
        from hooks.store.connection import close_all

        close_all()
        close_engines()
        reset_settings(Settings.from_env(self.env))

    def create_webhook(self, *, retry: Mapping[str, float] | None = None) -> str:
        """The fault's webhook: every event of the stack, to the receiver's path for this fault."""
        import hooks
        from bench.faults.load import STACK

        fields = {"retry": dict(retry)} if retry else {}
        self.webhook_id = hooks.create_webhook(self.receiver.url + self.path, ["faults.#"], stack=STACK,
                                               branches=["*"], **fields).id  # fmt: skip
        return self.webhook_id

    def work_in_flight(self) -> dict[str, int] | str:
        """What Redis holds for the drains right now: drain slots (idle ones apart), the webhook's lanes, leased
        deliveries, ready ones, events waiting for fan-out."""
        p = self.env["HOOKS_KEY_PREFIX"]
        try:
            with self.redis_client() as c:
                return {"drains": c.zcard(f"{p}:drains"), "idle_drains": c.zcard(f"{p}:drains:idle"),
                        "lanes": c.zcard(f"{p}:inflight:{self.webhook_id}"),
                        "leased": c.zcard(f"{p}:leased"), "ready": c.llen(f"{p}:ready:{self.webhook_id}"),
                        "fanout": c.llen(f"{p}:fanout")}  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - Redis may be the fault
            return f"unknown ({type(exc).__name__})"

    def log_path(self, role: str, n: int) -> Path:
        return self.log_dir / f"{self.name}-{role}-{n}.log"

    def start_process(self, role: str) -> subprocess.Popen[bytes]:
        """Start one of the Procfile's processes as the README starts it (the worker with -E)."""
        args = {"worker": [*worker_args(concurrency=self.concurrency), "-E"], "scheduler": scheduler_args(),
                "archiver": archiver_args()}[role]  # fmt: skip
        n = next(self._starts)
        proc = start_process(args, self.env, self.log_path(role, n))
        proc.log_path = self.log_path(role, n)  # type: ignore[attr-defined]
        self.procs[role] = proc
        return proc

    def wait_ready(self, role: str, timeout_s: float = 60.0) -> float:
        """Wait for the process's ready line; returns the monotonic time it appeared. Raises RuntimeError."""
        proc = self.procs[role]
        log: Path = proc.log_path  # type: ignore[attr-defined]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the {role} exited with {proc.returncode}: {_tail(log)}")
            if log.exists() and READY_LINE[role] in log.read_text(errors="replace"):
                return time.monotonic()
            time.sleep(0.05)
        raise RuntimeError(f"the {role} was not ready within {timeout_s}s: {_tail(log)}")

    def kill(self, role: str) -> None:
        """SIGKILL one process by its pid, as a crash would."""
        proc = self.procs[role]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def restart(self, role: str) -> float:
        """What a supervisor does after a crash: start it again; returns when it is ready (monotonic)."""
        self.start_process(role)
        return self.wait_ready(role)

    def dead(self) -> dict[str, int]:
        """Processes that ended by themselves (not killed by the fault): role -> exit code."""
        return {role: code for role, p in self.procs.items() if (code := p.poll()) is not None}

    def redis_client(self) -> redis.Redis:
        """A new plain client on the current primary (close it after use)."""
        if self.topology is not None:
            return self.topology.primary.client()
        assert self.redis is not None
        return self.redis.client()

    def logs(self) -> dict[str, str]:
        """Every log of this stack's processes, by file name."""
        return {p.name: p.read_text(errors="replace") for p in sorted(self.log_dir.glob(f"{self.name}-*.log"))}

    def close(self) -> None:
        """Stop every process, the receiver and the Redis by pid; drop the database."""
        from hooks.history.connection import close_engines
        from hooks.settings import reset_settings
        from hooks.store.connection import close_all

        for proc in self.procs.values():
            stop_process(proc)
        if self.receiver.thread.is_alive():
            self.receiver.stop()
        close_all()
        close_engines()
        reset_settings(None)
        if self.topology is not None:
            self.topology.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.database_made and self.pg.pid is not None:
            self._admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")

    def _admin(self, statement: str) -> None:
        from hooks.history.db import make_engine

        engine = make_engine(self.pg.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()


def _tail(log: Path, chars: int = 2000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""
