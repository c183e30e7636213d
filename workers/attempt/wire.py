"""A small HTTP/1.1 client for one thing: POST a webhook to an address the SSRF guard checked, under a deadline.

urllib3 spent about 0.22 ms of CPU per request here, a socket 0.03 ms (bench: one thread, 1 KB, loopback): the
client is most of a delivery's CPU. So the request is written in one `sendall` and the answer parsed from the
socket's bytes by parse.py (strict on framing, bounded; h11 was measured and costs several times the CPU:
`python -m bench.client`): the status line, the headers (only Content-Length, Transfer-Encoding, Connection and
Retry-After matter; the raw head is handed on for the attempt log), and a body framed by length, chunks or the
connection's end, read up to a limit and kept. An answer sent before the body was read (then the send fails) is
still read and used.

Safety is the caller's rules, kept here: it connects to the checked address (never resolves), TLS checks the
certificate and sends SNI against the hostname; no redirects are followed; every connect, send and read is bounded
by the attempt's deadline, checked between reads, so a server dripping a byte a second cannot stretch it; a body
past the limit, or any doubt, closes the connection instead of reusing it. Errors are `WireError`s naming a class
of failure (`connection_refused`, `connect_timeout`, `connect_error`, `timeout`, `tls_error`, `connection_error`,
`invalid_response`), never an exception's class name.
"""

from __future__ import annotations

import select
import socket
import ssl
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.attempt.proxy import Proxy

from workers.attempt.parse import Answer, WireError, error_kind, left, read_answer

__all__ = ["Answer", "Connection", "WireError", "create_connection", "error_kind", "tls_context"]

# Connections are made through this (tests record and police them).
create_connection = socket.create_connection

# The parser's names, here too: `WireError` and `Answer` are this client's interface.
_left, _read_answer = left, read_answer


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
        reused = self.sock is not None
        try:
            return self._post(head + body, deadline, connect_timeout_s, limit)
        except WireError as exc:
            if not (reused and exc.unanswered):
                raise
        # A kept connection that the server closed as we sent (its keep-alive timeout; or a body it answered
        # without reading, then would not drain, as gunicorn does past 64 KiB whatever its Connection header said):
        # nothing was answered, so the request goes once more on a new connection, by the same deadline. A failed
        # attempt would be sent again by the schedule anyway: no more duplicates than that, only sooner.
        return self._post(head + body, deadline, connect_timeout_s, limit)

    def _post(self, data: bytes, deadline: float, connect_timeout_s: float, limit: int) -> Answer:
        if self.sock is None:
            self.sock = self._connect(deadline, connect_timeout_s)
        try:
            answer, keep = _exchange(self.sock, data, deadline, limit)
        except OSError as exc:  # a WireError has its kind already; the rest are named by error_kind
            self.close()
            raise WireError(error_kind(exc)) from None
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
        except OSError as exc:
            sock.close()
            raise WireError(error_kind(exc)) from None


@lru_cache(maxsize=8)
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context (certificate and hostname checked) trusting `ca_file`, or the system's CAs."""
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


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


def _exchange(sock: socket.socket, data: bytes, deadline: float, limit: int) -> tuple[Answer, bool]:
    """Send one request and read its answer, and whether the connection may carry the next request.

    A server may answer before it has read the body (a 413, or a 200 for a body it does not want) and close: the
    send then fails (broken pipe, reset), yet the answer is there to read, and a 2xx is a delivery. As urllib3
    does, that answer is read (by the same deadline) and used if it is whole; if not, the send's failure stands.
    """
    try:
        sock.settimeout(_left(deadline))
        sock.sendall(data)
    except TimeoutError:
        raise WireError("timeout") from None
    except OSError as exc:
        try:
            answer, _ = _read_answer(sock, deadline, limit)
        except WireError as unread:
            raise WireError(error_kind(exc), unanswered=unread.unanswered) from None
        return answer, False  # the request was not sent whole: the connection is done
    return _read_answer(sock, deadline, limit)
