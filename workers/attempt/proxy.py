"""The egress proxy (HOOKS_EGRESS_PROXY_URL): every attempt leaves through it, so endpoints see one address.

The SSRF guard decides first, as for a direct attempt (resolve, check). Then, for https AND http endpoints, the
worker asks the proxy for a tunnel to the checked address, `CONNECT 93.184.215.14:443`, never to the name: the
proxy does not resolve anything, so it cannot be steered elsewhere (DNS rebinding between our check and its
lookup, or a name that means an internal host on the proxy's side). Inside the tunnel the request is the very
bytes of a direct one (Host: the name; TLS with SNI and the certificate against the name), over a connection
kept alive like a direct one. Absolute-form requests (`POST http://name/...`) would let the proxy resolve the
name, and with the address in the URL the proxy must rewrite Host to it (RFC 9112 §3.2.2): neither is used.
Squid's stock configuration refuses CONNECT to ports other than 443 (`http_access deny CONNECT !SSL_ports`);
operators allow the ports their endpoints use (README, Security).

A proxy that fails (refused, timed out, an answer to CONNECT that is not 2xx: 403, 407...) fails the attempt as
`proxy_error`: not charged to the endpoint's breaker (workers/drain/batch.py) nor to the delivery's attempts
(retried without spending one: attempt.decide_proxy_error). But
when the proxy says it could not reach the endpoint (502 Bad Gateway, 504 Gateway Timeout, or squid's 503 with
`X-Squid-Error: ERR_CONNECT_FAIL`), the endpoint is down, as a direct attempt would have found: the attempt fails
as `connection_refused`, `connection_error` or `connect_timeout`, charged to its breaker, so an endpoint that is
down behind the proxy still opens its breaker. The proxy's password is sent as `Proxy-Authorization: Basic`, and
never logged.
"""

from __future__ import annotations

import base64
import logging
import re
import socket
import time
from dataclasses import dataclass, field
from functools import lru_cache

from hooks.settings import Settings
from hooks.settings.egress import NoProxy, parse_no_proxy, parse_proxy_url
from workers.attempt import wire
from workers.attempt.parse import WireError, left, read_head

log = logging.getLogger(__name__)

PROXY_ERROR = "proxy_error"
_SQUID_ERROR = re.compile(rb"(?im)^x-squid-error:[ \t]*(\S+)[ \t]*(\d*)")
_LOG_EVERY_S = 60.0
_last_logged: dict[str, float] = {}


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy that opens tunnels (CONNECT); `name` is how logs show it (host:port, no credentials)."""

    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)  # the Proxy-Authorization value

    @property
    def name(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def tunnel(self, ip: str, port: int, deadline: float, connect_timeout_s: float) -> socket.socket:
        """A connection to (`ip`, `port`) through the proxy, ready for the request (or TLS); under the deadline.

        Raises WireError: `proxy_error` for anything the proxy did (or did not do), `timeout` when the attempt's
        deadline had already passed.
        """
        timeout = min(connect_timeout_s, left(deadline))  # `timeout` once the attempt's deadline has passed
        try:
            sock = wire.create_connection((self.host, self.port), timeout=timeout)
        except OSError as exc:
            raise self._failed(f"cannot be reached ({type(exc).__name__})") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(left(deadline))
            sock.sendall(self._request(ip, port))
            status, head, after = read_head(sock, deadline)  # the delivery client's parser (parse.py)
            if 200 <= status < 300 and after:
                raise WireError("bytes in the tunnel before the request")  # not a tunnel to trust
        except (OSError, WireError) as exc:  # a timeout too: no answer within the attempt's deadline
            sock.close()
            why = exc.kind if isinstance(exc, WireError) else type(exc).__name__
            raise self._failed(f"did not answer CONNECT ({why})") from None
        if not 200 <= status < 300:
            sock.close()
            endpoint_down = endpoint_failure(status, head)
            if endpoint_down is not None:
                raise WireError(endpoint_down)
            raise self._failed(f"answered CONNECT to port {port} with {status}{_hint(status, port)}")
        return sock

    def _request(self, ip: str, port: int) -> bytes:
        authority = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
        if self.authorization:
            lines.append(f"Proxy-Authorization: {self.authorization}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _failed(self, what: str) -> WireError:
        """The attempt's error, and a warning for the operators (at most once a minute for each kind of trouble)."""
        now = time.monotonic()
        key = what.split(" (")[0]
        if now - _last_logged.get(key, -_LOG_EVERY_S) >= _LOG_EVERY_S:
            _last_logged[key] = now
            log.warning("egress proxy %s %s: attempts fail as proxy_error", self.name, what)
        return WireError(PROXY_ERROR)


def route(settings: Settings, host: str, ip: str) -> Proxy | None:
    """The proxy an attempt to `host` (checked address `ip`) goes through, or None: no proxy, or NO_PROXY."""
    if not settings.egress_proxy_url:
        return None
    return _route(settings.egress_proxy_url, settings.egress_no_proxy, host, ip)


@lru_cache(maxsize=4096)  # every attempt asks; NO_PROXY matching parses addresses: once per (settings, host, ip)
def _route(url: str, no_proxy_rules: str, host: str, ip: str) -> Proxy | None:
    proxy, no_proxy = configured(url, no_proxy_rules)
    return None if no_proxy.matches(host, ip) else proxy


@lru_cache(maxsize=8)
def configured(url: str, no_proxy: str) -> tuple[Proxy, NoProxy]:
    """The proxy and the NO_PROXY rules of the settings (validated when the settings were read)."""
    parsed = parse_proxy_url(url)
    authorization = None
    if parsed.username or parsed.password:
        token = base64.b64encode(f"{parsed.username}:{parsed.password}".encode()).decode("ascii")
        authorization = f"Basic {token}"
    return Proxy(parsed.host, parsed.port, authorization), parse_no_proxy(no_proxy)


def endpoint_failure(status: int, head: bytes) -> str | None:
    """The endpoint's failure a proxy's answer to CONNECT reports, named as a direct attempt would name it; None
    when the failure is the proxy's own (a refusal, its authentication, an overload)."""
    if status == 502:
        return "connection_error"
    if status == 504:
        return "connect_timeout"
    squid = _SQUID_ERROR.search(head) if status == 503 else None
    if squid is None or squid[1] != b"ERR_CONNECT_FAIL":
        return None
    return "connection_refused" if squid[2] == b"111" else "connection_error"  # errno 111: ECONNREFUSED


def _hint(status: int, port: int) -> str:
    if status == 407:
        return " (proxy authentication required: check the user and password of HOOKS_EGRESS_PROXY_URL)"
    if status == 403 and port != 443:
        return " (squid refuses CONNECT to ports other than 443 by default: see the README's egress proxy section)"
    return ""
