"""The README's way to run the processes works as written: `scripts/start` runs the Procfile with honcho from the
project's .venv (no activated environment needed), the system delivers, Flower asks for credentials, and one
SIGTERM stops every process it started (two archivers among them)."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

import hooks
from hooks.local.processes import start_process, stop_process
from hooks.local.servers import free_port
from tests.conftest import use_env, wait_for
from tests.support.http import http_status

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_scripts_start_runs_the_procfile_and_stops_it_all(hooks_env, redis_server, receiver, log_dir, monkeypatch):
    # Given a private Redis database, Flower credentials and a free port, with no virtualenv on PATH
    port, auth = free_port(), "admin:correct-horse-battery"
    env = {**hooks_env, "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/14", "FLOWER_BASIC_AUTH": auth,
           "FLOWER_PORT": str(port), "HOOKS_API_PORT": str(free_port()), "HOOKS_WORKER_CONCURRENCY": "4",
           "PATH": os.defpath}  # fmt: skip
    use_env(env, monkeypatch)
    log = log_dir / "procfile.log"
    # When `scripts/start` runs
    honcho = start_process([str(ROOT / "scripts" / "start")], env, log)
    try:
        wait_for(lambda: " ready." in log.read_text(), 90, what="the worker started by honcho to be ready")
        # Then the system delivers
        hooks.create_webhook(receiver.url + "/procfile", ["e"])
        hooks.publish_event("e", {"n": 1})
        wait_for(lambda: receiver.requests_to("/procfile"), 30, what="the delivery")
        # and Flower answers only with credentials
        wait_for(lambda: http_status(f"http://127.0.0.1:{port}/") in (200, 401), 30, what="Flower to listen")
        assert http_status(f"http://127.0.0.1:{port}/") == 401
        assert http_status(f"http://127.0.0.1:{port}/", auth) == 200
    finally:
        # And one SIGTERM to honcho stops every process it started
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)
        honcho.wait(timeout=30)
        stop_process(honcho)
    pids = [int(p) for p in re.findall(r"started \(pid=(\d+)\)", log.read_text())]
    assert len(pids) == 7, log.read_text()[-2000:]  # worker, scheduler, flower, two archivers, api, relay
    assert "archiver.2 " in log.read_text()
    # and no process starts with Alembic's two INFO lines ("Context impl ...", "Will assume transactional DDL")
    assert "alembic.runtime.migration" not in log.read_text()
    for pid in pids:
        wait_for(lambda pid=pid: not _alive(pid), 15, what=f"process {pid} to end")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
