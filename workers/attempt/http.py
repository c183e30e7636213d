"""The HTTP attempt: connect to the address the SSRF guard checked, POST, read a bounded response.

One kept-alive connection (wire.py) per (thread, scheme, checked address, port, host, client TLS context, egress
proxy), so a connection is never reused for an address that was not checked, nor one made with a webhook's client
certificate (client_tls.py) for another webhook. With HOOKS_EGRESS_PROXY_URL, the connection is a tunnel through
the proxy to the checked address (proxy.py). Host header, TLS SNI and the certificate check are all against the
hostname, not the address. No redirects, no retries here (the schedule retries).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from hooks.errors import BlockedAddressError, ValidationError
from hooks.settings import Settings
from hooks.ssrf import Resolver, Target, parse_url, resolve_checked, system_resolver
from workers.attempt.proxy import Proxy, route
from workers.attempt.wire import Connection, WireError, error_kind, tls_context

_local = threading.local()
_MAX_CONNECTIONS_PER_THREAD = 256

# How names are resolved; read at every attempt, so tests can stub DNS with monkeypatch.setattr(http, "resolver", f).
resolver: Resolver = system_resolver


@dataclass(frozen=True)
class HttpResult:
    """What one attempt got: a status, the start of the body and the raw head (headers), or an error class."""

    status: int | None
    body: bytes
    error: str | None
    address: str | None
    retry_after: str | None
    duration_ms: float
    head: bytes = b""  # status line and headers as received; record.response_headers bounds and redacts them

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], settings: Settings, *,
         tls: ssl.SSLContext | None = None, deadline: float | None = None) -> HttpResult:  # fmt: skip
    """POST `body` to `url` through the SSRF guard; never raises for network trouble, returns it as `error`.
    `tls`: the context for https instead of the default one (a webhook's client certificate). `deadline`: when
    the request must be over (time.monotonic()), for a step of a longer attempt (oauth2.py); by default
    HOOKS_REQUEST_TIMEOUT_S from now. A deadline already passed is a `timeout`, nothing sent."""
    started = time.monotonic()
    if deadline is None:
        deadline = started + settings.request_timeout_s
    elif deadline <= started:
        return _failed("timeout", None, started)
    address: str | None = None
    try:
        target = parse_url(url, require_https=settings.require_https)
    except ValidationError:  # stored under other settings (HOOKS_REQUIRE_HTTPS turned on since): not sendable
        return _failed("invalid_url", None, started)
    try:
        addresses = resolve_checked(
            target,
            allow_private=settings.allow_private_networks,
            allowed_networks=settings.networks,
            resolver=resolver,
        )
        address = str(addresses[0])
        return _send(target, address, body, headers, settings, started, deadline, tls)
    except BlockedAddressError as exc:
        return _failed("blocked_address", exc.address or address, started)
    except socket.gaierror:
        return _failed("dns_error", address, started)
    except WireError as exc:
        return _failed(exc.kind, address, started)
    except UnicodeEncodeError:  # a header value HTTP/1.1 cannot carry (not latin-1): nothing was sent
        return _failed("invalid_header", address, started)
    except OSError as exc:  # named as the attempt log names failures (timeout, tls_error, ...), not by class
        return _failed(error_kind(exc), address, started)


def _send(target: Target, ip: str, body: bytes, headers: dict[str, str], settings: Settings,
          started: float, deadline: float, tls: ssl.SSLContext | None) -> HttpResult:  # fmt: skip
    head = _head(target, headers, len(body))  # encoded first: a header it cannot carry sends nothing
    conn = _connection(target, ip, settings, tls)
    answer = conn.post(head, body, deadline, settings.connect_timeout_s, settings.max_response_bytes)
    retry_after = answer.headers.get(b"retry-after")
    return HttpResult(answer.status, answer.body, None, ip, retry_after.decode("latin-1") if retry_after else None,
                      _ms(started), answer.head)  # fmt: skip


def _head(target: Target, headers: dict[str, str], length: int) -> bytes:
    """The request line and headers of one POST, encoded as HTTP/1.1 carries them (latin-1)."""
    default_port = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default_port else f"{_bracket(target.host)}:{target.port}"
    lines = [f"POST {target.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {length}", "Accept-Encoding: identity",
             *(f"{name}: {value}" for name, value in headers.items())]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _connection(target: Target, ip: str, settings: Settings, client_tls: ssl.SSLContext | None) -> Connection:
    """This thread's kept-alive connection to (scheme, checked address, port, hostname, the client context by
    identity: it holds a webhook's certificate, the egress proxy): never reused elsewhere."""
    conns: dict[tuple[str, str, int, str, ssl.SSLContext | None, Proxy | None], Connection] | None = getattr(
        _local, "conns", None
    )
    if conns is None:
        conns = _local.conns = {}
    proxy = route(settings, target.host, ip)
    key = (target.scheme, ip, target.port, target.host, client_tls if target.scheme == "https" else None, proxy)
    conn = conns.get(key)
    if conn is None:
        if len(conns) >= _MAX_CONNECTIONS_PER_THREAD:
            conns.pop(next(iter(conns))).close()
        tls = (client_tls or tls_context(default_ca(settings))) if target.scheme == "https" else None
        conn = conns[key] = Connection(ip, target.port, target.host, tls, proxy=proxy)
    return conn


def default_ca(settings: Settings) -> str | None:
    """The CA bundle endpoints are checked against: HOOKS_CA_BUNDLE, else certifi's (looked up once, not on every
    mTLS delivery)."""
    return _default_ca(settings.ca_bundle)


@lru_cache(maxsize=8)
def _default_ca(ca_bundle: str | None) -> str | None:
    if ca_bundle:
        return ca_bundle
    try:
        import certifi

        return str(certifi.where())
    except ImportError:  # pragma: no cover - certifi comes with requests
        return None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _failed(error: str, address: str | None, started: float) -> HttpResult:
    return HttpResult(None, b"", error, address, None, _ms(started))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 2)
