"""Running a benchmark (`python -m bench`, `python -m bench.outbox`) from a test, as a user would run it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(module: str, argv: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGV` in the project; past the timeout it is interrupted (SIGINT: it stops the servers and
    processes it started, which a SIGKILL would leave running) and the test fails."""
    args = [sys.executable, "-m", module, *argv]
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            try:
                out, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            first, _, rest = err.partition("\n")  # the bench's first line says where its logs are
            pytest.fail(f"{module} was still running after {timeout_s} s:\n{first}\n...{rest[-3000:]}")
    return subprocess.CompletedProcess(args, proc.returncode, out, err)
