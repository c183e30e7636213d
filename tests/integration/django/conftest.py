"""Fixtures of the Django integration's tests: the example project served by gunicorn on SQLite and on PostgreSQL,
its relay (`manage.py hooks_relay`) and a hooks worker started from its folder, on a Redis database of their own."""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import sys
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from hooks.history.connection import close_engines
from hooks.history.db import make_engine
from hooks.local.postgres import PostgresServer
from hooks.local.processes import start_process, stop_process, worker_args
from hooks.local.servers import RedisServer, free_port
from hooks.models.webhook import Webhook
from hooks.outbox.schema import make_outbox_engine
from hooks.registry.webhooks import create_webhook
from hooks.settings import reset_settings
from hooks.store.connection import close_all
from tests.conftest import use_env, wait_for
from tests.integration.django.project import EXAMPLE, Site, database_url, log_text, manage, project_env

REDIS_DB = 11  # the example's processes have a Redis database of their own
# How often the relay looks without being woken: on PostgreSQL only the NOTIFY of the Django migration's trigger can
# wake it within a test's deadline (it looks every 10 x 30 s), on SQLite it polls.
POLL_S = {"sqlite": "0.1", "postgresql": "30"}
# one worker process; no control socket (it would be one path in $HOME, shared by every gunicorn on the machine)
GUNICORN_OPTIONS = ["--workers", "1", "--threads", "4", "--graceful-timeout", "5", "--no-control-socket"]
_databases = itertools.count()


@pytest.fixture(scope="module")
def django_env(redis_server: RedisServer, hooks_env: dict[str, str]) -> dict[str, str]:
    """The environment of the example's processes and of its worker: the session's, on Redis database REDIS_DB."""
    return project_env(hooks_env, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/{REDIS_DB}")


@pytest.fixture(scope="module")
def example_worker(django_env: dict[str, str], log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`hooks worker` started in the example's folder, beside the project's own workers.py (ours is loaded)."""
    log = log_dir / "django-worker.log"
    proc = start_process(worker_args(concurrency=4), django_env, log, cwd=EXAMPLE)
    wait_for(lambda: _running(proc, log) and " ready." in log_text(log), 30, what="the worker in the example's folder")
    yield proc
    stop_process(proc)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest,
    django_env: dict[str, str],
    example_worker: subprocess.Popen[bytes],
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
    log_dir: Path,
) -> Iterator[Site]:
    """The example migrated on a new database, served by gunicorn, with its relay running."""
    kind: str = request.param
    name = f"hooks_django_{next(_databases)}"
    url = database_url(kind, tmp_path_factory.mktemp(f"django-{kind}"), postgres_server.url, name)
    admin = make_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    if kind == "postgresql":
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    env = {**django_env, "DATABASE_URL": url, "HOOKS_OUTBOX_POLL_S": POLL_S[kind]}
    site = Site(kind, f"http://127.0.0.1:{free_port()}", env, make_outbox_engine(url))
    with contextlib.ExitStack() as cleanup:  # whatever started is stopped, even when a later start fails
        cleanup.callback(admin.dispose)
        if kind == "postgresql":
            cleanup.callback(_drop_database, admin, name)
        cleanup.callback(site.engine.dispose)
        migrated = manage(env, "migrate", "--noinput", "-v", "0")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        _gunicorn(site, log_dir, cleanup)
        _relay(site, log_dir, cleanup)
        yield site


@pytest.fixture
def blog_webhook(site: Site, receiver: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    """A webhook on the example's stack `blog`, to the receiver's /blog, made on an emptied Redis database."""
    use_env(site.env, monkeypatch)
    yield create_webhook(receiver.url + "/blog", ["blog.#"], stack="blog")  # type: ignore[attr-defined]
    reset_settings(None)
    close_all()
    close_engines()


def _gunicorn(site: Site, log_dir: Path, cleanup: contextlib.ExitStack) -> None:
    """gunicorn serving config.wsgi from the example's folder, as a deployment runs it; waits until it answers."""
    log = log_dir / f"django-{site.kind}-gunicorn.log"
    bind = site.url.removeprefix("http://")
    args = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", bind, *GUNICORN_OPTIONS]
    proc = start_process(args, site.env, log, cwd=EXAMPLE)
    cleanup.callback(stop_process, proc)
    wait_for(lambda: _running(proc, log) and _answers(site), 30, what="gunicorn to serve the example")


def _relay(site: Site, log_dir: Path, cleanup: contextlib.ExitStack) -> None:
    """`manage.py hooks_relay`; waits until it relays (on PostgreSQL: until it LISTENs)."""
    log = log_dir / f"django-{site.kind}-relay.log"
    proc = start_process([sys.executable, "manage.py", "hooks_relay"], site.env, log, cwd=EXAMPLE)
    cleanup.callback(stop_process, proc)
    wait_for(lambda: _running(proc, log) and "relay started" in log_text(log), 30, what="manage.py hooks_relay")
    if site.kind == "postgresql":
        wait_for(lambda: _listening(site), 30, what="the relay to LISTEN")


def _drop_database(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))


def _running(proc: subprocess.Popen[bytes], log: Path) -> bool:
    if proc.poll() is not None:
        pytest.fail(f"{proc.args!r} exited {proc.returncode}: {log_text(log)[-3000:]}")
    return True


def _answers(site: Site) -> bool:
    try:
        return site.get("/posts/")[0] == 200
    except (urllib.error.URLError, ConnectionError):
        return False


def _listening(site: Site) -> bool:
    with site.engine.connect() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'"
        return bool(conn.execute(text(query)).scalar())
