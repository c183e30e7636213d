"""A real nginx for the tests (Debian's, installed by apt-get when missing): started on free 127.0.0.1 ports
with a configuration of the test's own in a folder of its own (no /etc/nginx, no /var/lib/nginx), in the
foreground, and stopped by pid.

    with Nginx(tmp_path, "server { listen {port}; location / { return 200 'ok'; } }") as nginx:
        nginx.port  # the first free port, {port} in the server block; {port2}, {port3} for more
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from types import TracebackType

from hooks.local.servers import free_port
from tests.support.apt import ensure
from tests.support.daemons import start_listening

NGINX = "/usr/sbin/nginx"
CONF = """daemon off;
master_process on;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 256; }}
http {{
  access_log {root}/access.log;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  {servers}
}}
"""


def ensure_nginx() -> str:
    """Debian's nginx binary (installed with apt-get first if missing; skips the test when it cannot be)."""
    return ensure("nginx", "nginx", NGINX)


class Nginx:
    """One nginx master (and worker) with `servers` (http-block text; {port}, {port2}, {port3} and {root} are
    filled in) under `root`."""

    def __init__(self, root: Path, servers: str) -> None:
        self.root = root
        self.ports = [free_port(), free_port(), free_port()]
        self.port = self.ports[0]
        fill = {"{port}": self.ports[0], "{port2}": self.ports[1], "{port3}": self.ports[2], "{root}": root}
        for placeholder, value in fill.items():
            servers = servers.replace(placeholder, str(value))
        self.servers = servers
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> Nginx:
        """Write the configuration, start nginx and wait until it listens on its first port."""
        binary = ensure_nginx()
        self.root.mkdir(parents=True, exist_ok=True)
        conf = self.root / "nginx.conf"
        conf.write_text(CONF.format(root=self.root, servers=self.servers))  # the servers' braces are not formatted
        self.proc = start_listening("nginx", [binary, "-p", str(self.root), "-c", str(conf)], self.root, self.port,
                                    timeout_s)  # fmt: skip
        return self

    def stop(self) -> None:
        """Stop the master and its workers (its own process group), by pid."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def access_log(self) -> str:
        """What nginx logged of the requests it served."""
        path = self.root / "access.log"
        return path.read_text() if path.exists() else ""

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
