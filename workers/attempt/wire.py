"""A small HTTP/1.1 client for one thing: POST a webhook to an address the SSRF guard checked, under a deadline.

urllib3 spent about 0.22 ms of CPU per request here, a socket 0.03 ms (bench: one thread, 1 KB, loopback): the
client is most of a delivery's CPU. So the request is written in one `sendall` and the answer parsed from the
socket's bytes: the status line, the headers (only Content-Length, Transfer-Encoding, Connection and Retry-After
matter; the raw head is handed on for the attempt log), and a body framed by length, chunks or the connection's end, read up to a limit and kept.

Safety is the caller's rules, kept here: it connects to the checked address (never resolves), TLS checks the
certificate and sends SNI against the hostname; no redirects are followed; every connect, send and read is bounded
by the attempt's deadline, checked between reads, so a server dripping a byte a second cannot stretch it; a body
past the limit, or any doubt, closes the connection instead of reusing it. Errors are `WireError`s naming a class
of failure (`connection_refused`, `connect_timeout`, `timeout`, `tls_error`, `connection_error`, ...).
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.attempt.proxy import Proxy

# Connections are made through this (tests record and police them).
create_connection = socket.create_connection

_HEAD_LIMIT = 64 * 1024  # bytes of status line and headers before we give up on an answer
_READ = 65536


class WireError(Exception):
    """One attempt's failure; `kind` names it as the attempt log does."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Answer:
    """What the endpoint answered: the status, the headers we use, the start of the body, and the raw head."""

    status: int
    headers: dict[bytes, bytes]
    body: bytes
    complete: bool  # the whole body was read (the connection may be kept)
    head: bytes = b""  # the status line and header lines as received, for the attempt log (parsed there, once)


class Connection:
    """One kept-alive connection to a checked address (`ip`, `port`), speaking to `host` (Host, SNI, certificate);
    through the egress `proxy`'s tunnel to that address when one is given (workers/attempt/proxy.py)."""

    def __init__(self, ip: str, port: int, host: str, tls: ssl.SSLContext | None, *,
                 proxy: Proxy | None = None) -> None:  # fmt: skip
        self.ip, self.port, self.host, self.tls, self.proxy = ip, port, host, tls, proxy
        self.sock: socket.socket | None = None

    def post(self, head: bytes, body: bytes, deadline: float, connect_timeout_s: float, limit: int) -> Answer:
        """Send one request (`head`: request line and headers, already encoded) and read its answer."""
        if self.sock is not None and _dropped(self.sock):
            self.close()
        if self.sock is None:
            self.sock = self._connect(deadline, connect_timeout_s)
        sock = self.sock
        try:
            sock.settimeout(_left(deadline))
            sock.sendall(head + body)
            answer, keep = _read_answer(sock, deadline, limit)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return answer

    def close(self) -> None:
        """Drop the connection (the next request makes a new one)."""
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def _connect(self, deadline: float, connect_timeout_s: float) -> socket.socket:
        try:
            if self.proxy is None:
                sock = create_connection((self.ip, self.port), timeout=min(connect_timeout_s, _left(deadline)))
            else:  # a tunnel to the same checked address; the proxy's trouble is a WireError (proxy_error)
                sock = self.proxy.tunnel(self.ip, self.port, deadline, connect_timeout_s)
        except ConnectionRefusedError:
            raise WireError("connection_refused") from None
        except TimeoutError:
            raise WireError("connect_timeout") from None
        except OSError:
            raise WireError("connect_error") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is None:
            return sock
        try:
            sock.settimeout(_left(deadline))
            return self.tls.wrap_socket(sock, server_hostname=self.host)
        except (ssl.SSLError, ssl.CertificateError):
            sock.close()
            raise WireError("tls_error") from None
        except TimeoutError:
            sock.close()
            raise WireError("timeout") from None
        except OSError:
            sock.close()
            raise WireError("connection_error") from None


@lru_cache(maxsize=8)
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context (certificate and hostname checked) trusting `ca_file`, or the system's CAs."""
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise WireError("timeout")
    return left


_GONE = select.POLLERR | select.POLLHUP | getattr(select, "POLLRDHUP", 0)


def _dropped(sock: socket.socket) -> bool:
    """Whether a kept connection was closed by the other side (or sent something unasked) since its last answer.

    Over TLS, bytes may arrive unasked and be fine (a TLS 1.3 server's session tickets): only a hang-up counts.
    """
    events = _GONE if isinstance(sock, ssl.SSLSocket) else _GONE | select.POLLIN
    try:
        poller = select.poll()
        poller.register(sock, events)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _recv(sock: socket.socket, deadline: float) -> bytes:
    """What has arrived (b"" at the end of the stream), waiting at most until the deadline."""
    sock.settimeout(_left(deadline))
    try:
        return sock.recv(_READ)
    except TimeoutError:
        raise WireError("timeout") from None
    except ssl.SSLError:
        raise WireError("tls_error") from None
    except OSError:
        raise WireError("connection_error") from None


def _read_answer(sock: socket.socket, deadline: float, limit: int) -> tuple[Answer, bool]:
    """The answer to the request just sent, and whether the connection may carry the next one."""
    buf = b""
    while True:  # informational answers (100 Continue) come first: skip them
        while (end := buf.find(b"\r\n\r\n")) < 0:
            if len(buf) > _HEAD_LIMIT:
                raise WireError("connection_error")
            chunk = _recv(sock, deadline)
            if not chunk:
                raise WireError("connection_error")
            buf += chunk
        head = buf[:end]
        version, status, headers = _parse_head(head)
        buf = buf[end + 4 :]
        if not 100 <= status < 200:
            break
    body, complete, keep = _read_body(sock, buf, status, headers, deadline, limit)
    keep = keep and complete and version == b"HTTP/1.1" and headers.get(b"connection", b"").lower() != b"close"
    return Answer(status, headers, body, complete, head), keep


def _parse_head(head: bytes) -> tuple[bytes, int, dict[bytes, bytes]]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise WireError("connection_error")
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return parts[0], int(parts[1]), headers


def _read_body(sock: socket.socket, buf: bytes, status: int, headers: dict[bytes, bytes], deadline: float,
               limit: int) -> tuple[bytes, bool, bool]:  # fmt: skip
    """The body (up to `limit`), whether it was read whole, and whether its framing lets the connection be kept."""
    if status in (204, 304):
        return b"", True, True
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        return _read_chunked(sock, buf, deadline, limit)
    length = headers.get(b"content-length")
    if length is not None:
        if not length.isdigit():
            raise WireError("connection_error")
        return _read_length(sock, buf, int(length), deadline, limit)
    return _read_to_end(sock, buf, deadline, limit)


def _read_length(sock: socket.socket, buf: bytes, length: int, deadline: float,
                 limit: int) -> tuple[bytes, bool, bool]:  # fmt: skip
    want = min(length, limit)
    while len(buf) < want:
        chunk = _recv(sock, deadline)
        if not chunk:
            raise WireError("connection_error")  # cut short: not an answer
        buf += chunk
    return buf[:want], length <= limit and len(buf) == length, True


def _read_to_end(sock: socket.socket, buf: bytes, deadline: float, limit: int) -> tuple[bytes, bool, bool]:
    """A body that ends when the connection does; the connection is never kept."""
    while len(buf) < limit:
        chunk = _recv(sock, deadline)
        if not chunk:
            return buf, True, False
        buf += chunk
    return buf[:limit], False, False


def _read_chunked(sock: socket.socket, buf: bytes, deadline: float, limit: int) -> tuple[bytes, bool, bool]:
    body = b""
    while True:
        while (eol := buf.find(b"\r\n")) < 0:
            buf += _more(sock, deadline)
        size_text = buf[:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise WireError("connection_error") from None
        buf = buf[eol + 2 :]
        if size == 0:
            return body, True, _skip_trailers(sock, buf, deadline)
        while len(buf) < size + 2:
            if len(body) + len(buf) >= limit:
                return (body + buf)[:limit], False, False
            buf += _more(sock, deadline)
        body += buf[:size]
        buf = buf[size + 2 :]
        if len(body) >= limit:
            return body[:limit], False, False


def _skip_trailers(sock: socket.socket, buf: bytes, deadline: float) -> bool:
    """Read past the trailers after the last chunk; True when nothing else came (the connection may be kept)."""
    while (end := buf.find(b"\r\n")) != 0:
        if end > 0:
            buf = buf[end + 2 :]
            continue
        buf += _more(sock, deadline)
    return len(buf) == 2


def _more(sock: socket.socket, deadline: float) -> bytes:
    chunk = _recv(sock, deadline)
    if not chunk:
        raise WireError("connection_error")
    return chunk
