"""Processes the demo, the tests and the benchmark start: workers and schedulers, as the Procfile runs them.

Each runs in its own session with its output in a log file, and is stopped by its pid (never by name).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def start_process(
    args: Sequence[str], env: Mapping[str, str], log_path: str | Path, *, cwd: str | Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a child process in its own session (in folder `cwd`, default ours), output to `log_path`."""
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        list(args), env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def worker_args(*, concurrency: int = 8, queues: str = "events,deliveries,tests", name: str = "worker") -> list[str]:
    """The command of a Celery worker for both queues, as the Procfile runs it (`hooks worker`)."""
    return [sys.executable, "-m", "hooks", "worker", "-Q", queues, "-c", str(concurrency),
            "-n", f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h"]  # fmt: skip


def archiver_args() -> list[str]:
    """The command of the archiver (`hooks archiver`)."""
    return [sys.executable, "-m", "hooks", "archiver"]


def scheduler_args() -> list[str]:
    """The command of the retry scheduler (`hooks scheduler`)."""
    return [sys.executable, "-m", "hooks", "scheduler"]


def relay_args() -> list[str]:
    """The command of the outbox relay (`hooks relay`)."""
    return [sys.executable, "-m", "hooks", "relay"]


def stop_process(proc: subprocess.Popen[bytes] | None, *, timeout_s: float = 15.0, kill: bool = False) -> None:
    """Stop a process we started, by pid: SIGTERM (or SIGKILL), then SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
