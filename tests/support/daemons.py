"""Starting a real server of the tests' (nginx, squid) in the foreground and waiting until it listens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def start_listening(name: str, argv: list[str], root: Path, port: int, timeout_s: float) -> subprocess.Popen[bytes]:
    """Start `argv` in a session of its own (its output in root/stderr.log) and wait until 127.0.0.1:`port`
    accepts; raises RuntimeError with the output's tail if it exits first or does not listen in time (killed)."""
    log = (root / "stderr.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {(root / 'stderr.log').read_text()[-800:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout_s}s")
