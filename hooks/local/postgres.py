"""A private PostgreSQL for the demo and the tests, started the way `hooks.local.RedisServer` starts redis.

Binaries: `initdb` and `postgres` from one directory on PATH, else the ones the `pgserver` package bundles.
PostgreSQL refuses to run as root, so as root the server runs as an unprivileged user (`postgres` if the machine
has one, else `nobody`) that owns the temporary directory. The postmaster is our child, in its own process group:
it is stopped by its pid (fast shutdown) or, on `kill=True`, its whole group is SIGKILLed like a crash would.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hooks.local.servers import free_port

__all__ = ["FAST_SETTINGS", "PostgresServer", "postgres_bin_dir"]

# No fsync: a committed transaction survives the server's SIGKILL (its WAL is in the OS's page cache), not a crash
# of the machine. synchronous_commit stays on, or a SIGKILL would lose the last commits still in WAL buffers.
# Pass `settings=` to change any of them.
FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "128MB",
}


def postgres_bin_dir() -> Path:
    """The directory holding `initdb` and `postgres`: PATH first, else pgserver's; raises RuntimeError if none."""
    found = shutil.which("postgres")
    if found:
        directory = Path(found).resolve().parent
        if (directory / "initdb").exists():
            return directory
    spec = importlib.util.find_spec("pgserver")  # not imported: its import creates lock files and warns
    if spec is not None and spec.origin is not None:
        directory = Path(spec.origin).parent / "pginstall" / "bin"
        if (directory / "postgres").exists():
            return directory
    raise RuntimeError("no initdb/postgres on PATH and the pgserver package is not installed "
                       "(pip install 'hooks-webhooks[embedded]')")  # fmt: skip


def _reachable_temp_dir() -> str:
    """The temp folder, if any user can pass through every folder above it (the server's user must), else /tmp."""
    folder = Path(tempfile.gettempdir()).resolve()
    if all(os.stat(p).st_mode & 0o001 for p in (folder, *folder.parents)):
        return str(folder)
    return "/tmp"  # noqa: S108 - world-traversable by definition; the folder made in it is the server user's own


def unprivileged_user() -> pwd.struct_passwd | None:
    """The user the server runs as when we are root (`postgres`, else `nobody`); None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


class PostgresServer:
    """A private PostgreSQL on a free loopback port, in a temporary directory, stopped by pid."""

    def __init__(
        self,
        port: int | None = None,
        *,
        settings: Mapping[str, str] | None = None,
        bin_dir: str | Path | None = None,
        run_as: str | None = None,
    ) -> None:
        self.port = port or free_port()
        self.settings = {**FAST_SETTINGS, **(settings or {})}
        self.bin_dir = Path(bin_dir) if bin_dir else postgres_bin_dir()
        self.user = pwd.getpwnam(run_as) if run_as and os.geteuid() == 0 else unprivileged_user()
        self.dir = tempfile.mkdtemp(prefix="hooks-pg-", dir=_reachable_temp_dir() if self.user else None)
        self.data_dir = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.proc: subprocess.Popen[bytes] | None = None
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)

    @property
    def url(self) -> str:
        """A `postgresql://` URL of the server's `postgres` database, as the superuser `postgres`."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def start(self, timeout_s: float = 30.0) -> PostgresServer:
        """Start the server (initdb first if its data directory is new); raises RuntimeError if it does not answer."""
        fresh = not os.path.exists(os.path.join(self.data_dir, "PG_VERSION"))
        try:
            if fresh:
                self._initdb(timeout_s)
            log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
            self.proc = subprocess.Popen(self._postgres_args(), stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, **self._as_user())  # fmt: skip
            log.close()
            self._wait_ready(timeout_s)
        except BaseException:
            # a first start leaves nothing behind; a restart keeps the data for a look (stop() removes it)
            if fresh:
                self.stop(kill=True)
            else:
                self.halt(kill=True)
            raise
        return self

    def halt(self, *, kill: bool = False, timeout_s: float = 30.0) -> None:
        """Stop the server but keep its data: a fast shutdown by pid, or SIGKILL of its process group (a crash)."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if kill:
                os.killpg(proc.pid, signal.SIGKILL)  # the backends too, or they hold the shared memory a while
            else:
                proc.send_signal(signal.SIGINT)  # fast shutdown: SIGTERM would wait for every client to leave
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
        if kill:
            self._reap_group(proc.pid, timeout_s)

    def restart(self, *, kill: bool = False, timeout_s: float = 30.0) -> PostgresServer:
        """Stop the server (SIGKILL if `kill`) and start it again on the same port and data directory."""
        self.halt(kill=kill, timeout_s=timeout_s)
        return self.start(timeout_s=timeout_s)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server by its pid and remove its temporary directory."""
        self.halt(kill=kill)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _as_user(self) -> dict[str, Any]:
        """Popen's arguments that drop root for the unprivileged user (none when we are not root)."""
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def _initdb(self, timeout_s: float) -> None:
        args = [str(self.bin_dir / "initdb"), "-D", self.data_dir, "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"]  # fmt: skip
        done = subprocess.run(args, capture_output=True, timeout=timeout_s, check=False, **self._as_user())
        if done.returncode != 0:
            who = f" as user {self.user.pw_name}, who must be able to read {self.bin_dir}" if self.user else ""
            raise RuntimeError(f"initdb failed{who}: {(done.stdout + done.stderr).decode(errors='replace')[-800:]}")
        hba = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        Path(self.data_dir, "pg_hba.conf").write_text(hba)

    def _postgres_args(self) -> list[str]:
        args = [str(self.bin_dir / "postgres"), "-D", self.data_dir, "-p", str(self.port), "-h", "127.0.0.1",
                "-k", self.dir]  # fmt: skip
        for name, value in self.settings.items():
            args += ["-c", f"{name}={value}"]
        return args

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {self._log_tail()}")
            if self._accepts_connections():
                return
            time.sleep(0.02)
        raise RuntimeError(f"postgres did not accept connections on port {self.port} within {timeout_s}s")

    def _accepts_connections(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def _reap_group(self, pgid: int, timeout_s: float) -> None:
        """Wait until no process of the killed group is left (they hold the shared memory a restart needs)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)

    def _log_tail(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")[-800:]
        except OSError:
            return ""
