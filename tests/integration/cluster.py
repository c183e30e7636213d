"""A private set of processes (worker, schedulers) on their own Redis database, for tests that kill them."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from hooks.local import scheduler_args, start_process, stop_process, worker_args
from tests.conftest import wait_for


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
