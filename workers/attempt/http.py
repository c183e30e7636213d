"""The HTTP attempt: connect to the address the SSRF guard checked, POST, read a bounded response.

One urllib3 connection pool per (thread, scheme, checked address, port, host), so keep-alive works and a
connection is never reused for an address that was not checked. Host header, TLS SNI and the certificate
check are all against the hostname, not the address. No redirects, no retries here (the schedule retries).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from config import Settings
from hooks.errors import BlockedAddressError, ValidationError
from hooks.ssrf import Resolver, Target, parse_url, resolve_checked, system_resolver
from workers.attempt import deadline as watchdog

_local = threading.local()
_MAX_POOLS_PER_THREAD = 256

# How names are resolved; read at every attempt, so tests can stub DNS with monkeypatch.setattr(http, "resolver", f).
resolver: Resolver = system_resolver


@dataclass(frozen=True)
class HttpResult:
    """What one attempt got: a status and the start of the body, or an error class."""

    status: int | None
    body: bytes
    error: str | None
    address: str | None
    retry_after: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> HttpResult:
    """POST `body` to `url` through the SSRF guard; never raises for network trouble, returns it as `error`."""
    started = time.monotonic()
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
        return _send(target, addresses[0], body, headers, settings, started)
    except BlockedAddressError as exc:
        return _failed("blocked_address", exc.address or address, started)
    except socket.gaierror:
        return _failed("dns_error", address, started)
    except urllib3.exceptions.NewConnectionError as exc:  # before ConnectTimeoutError: urllib3 2 subclasses it
        name = (
            "connection_refused"
            if isinstance(exc.__cause__, ConnectionRefusedError) or "refused" in str(exc)
            else "connect_error"
        )
        return _failed(name, address, started)
    except urllib3.exceptions.ConnectTimeoutError:
        return _failed("connect_timeout", address, started)
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return _failed("timeout", address, started)
    except urllib3.exceptions.SSLError:
        return _failed("tls_error", address, started)
    except (urllib3.exceptions.ProtocolError, ConnectionError):
        return _failed("connection_error", address, started)
    except UnicodeEncodeError:  # a header value HTTP/1.1 cannot carry (not latin-1): nothing was sent
        return _failed("invalid_header", address, started)
    except (Urllib3Error, OSError) as exc:
        return _failed(type(exc).__name__, address, started)


def _send(target: Target, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, body: bytes,
          headers: dict[str, str], settings: Settings, started: float) -> HttpResult:  # fmt: skip
    pool = _pool(target, ip, settings)
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{_bracket(target.host)}:{target.port}"
    deadline = started + settings.request_timeout_s
    timeout = urllib3.Timeout(connect=settings.connect_timeout_s, read=max(0.001, deadline - time.monotonic()))
    attempt = watchdog.begin(deadline)
    try:
        resp = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header, "Content-Length": str(len(body))},
            redirect=False,
            retries=False,
            preload_content=False,
            timeout=timeout,
            assert_same_host=False,
        )
        try:
            data, complete = _read_bounded(resp, settings.max_response_bytes, deadline)
        except BaseException:
            resp.close()
            raise
        if attempt.fired:  # a cut socket reads as end of body: the answer is incomplete, not a success
            resp.close()
            raise TimeoutError("attempt deadline passed")
    except (Urllib3Error, OSError):
        if attempt.fired:
            raise TimeoutError("attempt deadline passed") from None
        raise
    finally:
        watchdog.end(attempt)
    if complete:
        resp.release_conn()
    else:
        resp.close()  # the rest is not wanted: drop the connection instead of draining it
    return HttpResult(resp.status, data, None, str(ip), resp.headers.get("Retry-After"), _ms(started))


def _read_bounded(resp: urllib3.BaseHTTPResponse, limit: int, deadline: float) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    # read1 returns whatever has arrived, so the deadline is checked between bytes of a slow drip; read() would
    # wait for a full chunk, and the watchdog cannot cut a close-delimited body (http.client drops conn.sock)
    read = getattr(resp, "read1", resp.read)  # urllib3 >= 2.3
    while size < limit:
        if time.monotonic() > deadline:
            raise TimeoutError("response deadline passed")
        chunk = read(min(8192, limit - size))
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _pool(
    target: Target, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, settings: Settings
) -> urllib3.HTTPConnectionPool:
    pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = getattr(_local, "pools", None) or {}
    _local.pools = pools
    key = (target.scheme, str(ip), target.port, target.host)
    pool = pools.get(key)
    if pool is None:
        if len(pools) >= _MAX_POOLS_PER_THREAD:
            pools.pop(next(iter(pools))).close()
        common: dict[str, Any] = {"port": target.port, "maxsize": 1, "block": False, "retries": False}
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                str(ip), server_hostname=target.host, assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED", ca_certs=settings.ca_bundle or _default_ca(), **common,
            )  # fmt: skip
        else:
            pool = urllib3.HTTPConnectionPool(str(ip), **common)
        pool.ConnectionCls = watchdog.HTTPSConnection if target.scheme == "https" else watchdog.HTTPConnection
        pools[key] = pool
    return pool


def _default_ca() -> str | None:
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
