"""A real squid for the tests (Debian's, installed by apt-get when missing): a forward proxy on a free 127.0.0.1
port, no cache, basic auth against an htpasswd file of its own (`openssl passwd -apr1`, read by squid's
basic_ncsa_auth), CONNECT allowed to any port but `denied_port` (refused with 403, as squid's stock
`http_access deny CONNECT !SSL_ports` refuses ports other than 443), run in the foreground and stopped by pid.

    with Squid(user="hooks", password="p@ss") as squid:
        squid.url       # http://hooks:p%40ss@127.0.0.1:<port>
        squid.access_log()  # one line per request: "... TCP_TUNNEL/200 ... CONNECT 127.0.0.1:8443 hooks ..."
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from hooks.local.servers import free_port
from tests.support.apt import ensure
from tests.support.daemons import start_listening

SQUID = "/usr/sbin/squid"
NCSA = "/usr/lib/squid/basic_ncsa_auth"
CONF = """http_port 127.0.0.1:{port}
visible_hostname hooks-test-proxy
pid_filename {root}/squid.pid
cache_log {root}/cache.log
access_log stdio:{root}/access.log
cache deny all
cache_mem 1 MB
pinger_enable off
shutdown_lifetime 0 seconds
auth_param basic program {ncsa} {root}/htpasswd
auth_param basic children 1 startup=1 idle=1
auth_param basic credentialsttl 1 hour
acl localhost src 127.0.0.1/32
acl authed proxy_auth REQUIRED
acl denied_port port {denied_port}
http_access deny CONNECT denied_port
http_access allow localhost authed
http_access deny all
"""


class Squid:
    """One squid (no cache, basic auth for `user`) in a folder of its own, readable by squid's own user when it
    drops root (pytest's temporary folders are not)."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.port, self.denied_port = free_port(), free_port()
        self.root = Path(tempfile.mkdtemp(prefix="hooks-squid-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The proxy's URL with its credentials, as HOOKS_EGRESS_PROXY_URL takes it."""
        return f"http://{quote(self.user, safe='')}:{quote(self.password, safe='')}@127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> Squid:
        """Write the configuration and the htpasswd file, start squid and wait until it listens."""
        binary = ensure("squid", "squid", SQUID)
        hashed = subprocess.run(["openssl", "passwd", "-apr1", "-stdin"], input=self.password, capture_output=True,
                                text=True, check=True).stdout.strip()  # fmt: skip
        (self.root / "htpasswd").write_text(f"{self.user}:{hashed}\n")
        conf = self.root / "squid.conf"
        conf.write_text(CONF.format(port=self.port, root=self.root, ncsa=NCSA, denied_port=self.denied_port))
        os.chmod(self.root, 0o777)  # squid's user (proxy) writes its logs and pid file here
        self.proc = start_listening("squid", [binary, "-N", "-f", str(conf)], self.root, self.port, timeout_s)
        return self

    def stop(self) -> None:
        """Kill squid and its auth helper (its own process group, by pid); remove its folder."""
        if self.proc is not None and self.proc.poll() is None:  # nothing of it is kept: no need to wait for a
            os.killpg(self.proc.pid, signal.SIGKILL)  # graceful exit (a second, even with shutdown_lifetime 0)
            self.proc.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)

    def deny(self, port: int) -> None:
        """Refuse CONNECT to `port` instead (a port nothing uses lets every port through): the configuration
        rewritten and squid told to read it again (SIGHUP, by pid); returns once it listens again."""
        assert self.proc is not None
        if port == self.denied_port:
            return
        conf, log = self.root / "squid.conf", self.root / "cache.log"
        conf.write_text(CONF.format(port=self.port, root=self.root, ncsa=NCSA, denied_port=port))
        listening = log.read_text().count("Accepting HTTP Socket")
        os.kill(self.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while log.read_text().count("Accepting HTTP Socket") == listening:
            assert time.monotonic() < deadline, "squid did not read its configuration again"
            time.sleep(0.02)
        self.denied_port = port

    def access_log(self) -> list[str]:
        """The lines of squid's access log: one per request it handled (a CONNECT when its tunnel closes)."""
        path = self.root / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def __enter__(self) -> Squid:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
