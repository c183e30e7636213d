"""Starting a real server of the tests' (nginx, squid, gunicorn, node...) and waiting until it listens."""

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
    log = root / "stderr.log"
    with log.open("wb") as output:  # the child has its own copy
        proc = subprocess.Popen(argv, stdout=output, stderr=output, start_new_session=True)
    try:
        wait_listening(name, proc, port, log, timeout_s)
    except RuntimeError:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        raise
    return proc


def wait_listening(name: str, proc: subprocess.Popen[bytes], port: int, log: Path, timeout_s: float) -> None:
    """Wait until 127.0.0.1:`port` accepts; raises RuntimeError with `log`'s tail if `proc` exits first or the port
    does not accept in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-800:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout_s}s: {log.read_text()[-800:]}")
