"""Reading one HTTP/1.1 answer from a socket under a deadline: the parser of the delivery client (wire.py).

Strict where the framing is at stake, as RFC 9112 asks, so that a bad answer fails at once instead of hanging
until the deadline or being read as something it is not: `Content-Length` values that disagree (§6.3), a
`Transfer-Encoding` beside a `Content-Length` (chunked wins, the connection is not reused: §6.3), whitespace
between a field name and its colon (§5.1), a header line without a colon, a bad chunk size or chunk end (§7.1), a
bare CR (§2.2) are `invalid_response`. Lenient where the RFC lets a recipient be: lines may end with a bare LF
(§2.2), and an obs-fold continuation line is folded into the field before it with a space (§5.2: what a user agent
must do), never taken for a field of its own.

Bounded as the head is: the head (each informational answer's, and the final one's) at 64 KiB, a chunk-size line
(extensions included) at 4 KiB, the trailers at 64 KiB in all. Bytes are appended to one bytearray and every search
looks at the new bytes only, so a server dripping a line byte by byte costs linear, not quadratic, CPU.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass

HEAD_LIMIT = 64 * 1024  # bytes of status line and headers before we give up on an answer
LINE_LIMIT = 4 * 1024  # bytes of a chunk-size line, extensions included
TRAILER_LIMIT = 64 * 1024  # bytes of the trailers after the last chunk, in all
_INFORMATIONAL_LIMIT = 32  # 1xx answers before the final one
_COMPACT = 64 * 1024  # consumed bytes dropped from the buffer's front past this
_READ = 65536
_HEX = b"0123456789abcdefABCDEF"


class WireError(Exception):
    """One attempt's failure; `kind` names it as the attempt log does."""

    def __init__(self, kind: str, *, unanswered: bool = False) -> None:
        super().__init__(kind)
        self.kind = kind
        self.unanswered = unanswered  # the connection ended before a byte of an answer came


@dataclass(frozen=True)
class Answer:
    """What the endpoint answered: the status, the headers we use, the start of the body, and the raw head."""

    status: int
    headers: dict[bytes, bytes]  # lower-case names; a repeated field's values joined with ", "
    body: bytes
    complete: bool  # the whole body was read (the connection may be kept)
    head: bytes = b""  # the status line and header lines as received, for the attempt log (parsed there, once)


def error_kind(exc: BaseException) -> str:
    """The attempt log's kind for an exception met while connecting, sending or reading (never a class name)."""
    if isinstance(exc, WireError):
        return exc.kind
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return "tls_error"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    return "connection_error"


def left(deadline: float) -> float:
    """Seconds until the deadline; a `timeout` WireError once it has passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise WireError("timeout")
    return remaining


def recv(sock: socket.socket, deadline: float) -> bytes:
    """What has arrived (b"" at the end of the stream), waiting at most until the deadline."""
    sock.settimeout(left(deadline))
    try:
        return sock.recv(_READ)
    except OSError as exc:
        raise WireError(error_kind(exc)) from None


class _Stream:
    """The bytes read from a socket so far (`buf`) and how far they are parsed (`pos`)."""

    __slots__ = ("sock", "deadline", "buf", "pos")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline
        self.buf = bytearray()
        self.pos = 0

    def more(self) -> None:
        """Append what arrives next; a `connection_error` if the stream ends first (the answer is cut short)."""
        try:
            chunk = recv(self.sock, self.deadline)
        except WireError as exc:
            if self.buf or exc.kind not in ("connection_error", "tls_error"):
                raise
            raise WireError(exc.kind, unanswered=True) from None
        if not chunk:
            raise WireError("connection_error", unanswered=not self.buf)
        self.buf += chunk

    def head(self) -> bytes:
        """The next head (status line and fields, without the blank line), at most HEAD_LIMIT bytes."""
        buf, start = self.buf, self.pos
        scan = start
        while True:
            crlf = buf.find(b"\n\r\n", scan)  # the blank line: CRLF or (RFC 9112 §2.2) a bare LF
            lf = buf.find(b"\n\n", scan, crlf + 2 if crlf >= 0 else len(buf))
            if lf >= 0 or crlf >= 0:
                end = lf if lf >= 0 else crlf
                self.pos = end + (2 if lf >= 0 else 3)
                if end > start and buf[end - 1] == 13:  # the last field's CR
                    end -= 1
                break
            if len(buf) - start > HEAD_LIMIT:
                raise WireError("invalid_response")
            scan = max(start, len(buf) - 2)  # only the new bytes are searched next time
            self.more()
        if end - start > HEAD_LIMIT:
            raise WireError("invalid_response")
        return bytes(buf[start:end])

    def line(self, limit: int) -> bytes:
        """The next line (without its CRLF or LF), at most `limit` bytes."""
        if self.pos > _COMPACT:
            del self.buf[: self.pos]
            self.pos = 0
        buf, start = self.buf, self.pos
        scan = start
        while (eol := buf.find(b"\n", scan)) < 0:
            if len(buf) - start > limit:
                raise WireError("invalid_response")
            scan = len(buf)
            self.more()
        if eol - start > limit:
            raise WireError("invalid_response")
        self.pos = eol + 1
        return bytes(buf[start : eol - 1 if eol > start and buf[eol - 1] == 13 else eol])

    def take(self, n: int) -> bytes:
        """The next `n` bytes."""
        while len(self.buf) - self.pos < n:
            self.more()
        self.pos += n
        return bytes(self.buf[self.pos - n : self.pos])

    def line_end(self) -> None:
        """The CRLF (or bare LF) that ends a chunk's data."""
        while len(self.buf) - self.pos < 2 and self.buf.find(b"\n", self.pos) < 0:
            self.more()
        if self.buf[self.pos] == 10:
            self.pos += 1
        elif self.buf[self.pos : self.pos + 2] == b"\r\n":
            self.pos += 2
        else:
            raise WireError("invalid_response")

    def rest(self) -> int:
        """How many bytes arrived past what was parsed."""
        return len(self.buf) - self.pos


def read_answer(sock: socket.socket, deadline: float, limit: int) -> tuple[Answer, bool]:
    """The answer to the request just sent, and whether the connection may carry the next one."""
    stream = _Stream(sock, deadline)
    for _ in range(_INFORMATIONAL_LIMIT):  # informational answers (100 Continue, 103 Early Hints) come first
        head = stream.head()
        version, status, headers = parse_head(head)
        if not 100 <= status < 200:
            break
    else:
        raise WireError("invalid_response")
    body, complete, keep = _read_body(stream, status, headers, limit)
    keep = keep and complete and version == b"HTTP/1.1" and b"close" not in _tokens(headers.get(b"connection"))
    return Answer(status, headers, body, complete, head), keep


def read_head(sock: socket.socket, deadline: float) -> tuple[int, bytes, int]:
    """The status and raw head of an answer that has no body to read (a proxy's answer to CONNECT), and how many
    bytes came after it; the same rules and bounds as a delivery's answer (`invalid_response`, `timeout`...)."""
    stream = _Stream(sock, deadline)
    head = stream.head()
    return parse_head(head)[1], head, stream.rest()


def parse_head(head: bytes) -> tuple[bytes, int, dict[bytes, bytes]]:
    """The version, status and fields of a head; `invalid_response` for one that breaks RFC 9112's rules."""
    if b"\r" in head:
        head = head.replace(b"\r\n", b"\n")
        if b"\r" in head:  # a bare CR (RFC 9112 §2.2)
            raise WireError("invalid_response")
    lines = head.split(b"\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or len(parts[0]) != 8 or not parts[0].startswith(b"HTTP/1.") or not parts[0][7:].isdigit() \
            or len(parts[1]) != 3 or not parts[1].isdigit():  # fmt: skip
        raise WireError("invalid_response")
    headers: dict[bytes, bytes] = {}
    name = b""
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):  # obs-fold: the field before goes on (RFC 9112 §5.2), with one space
            if not name:
                raise WireError("invalid_response")
            headers[name] = (headers[name] + b" " + line.strip(b" \t")).strip(b" ")
            continue
        field, colon, value = line.partition(b":")
        if not colon or not field or field[-1:] in (b" ", b"\t"):  # RFC 9112 §5.1: no space before the colon
            raise WireError("invalid_response")
        name = field.lower()
        value = value.strip(b" \t")
        old = headers.get(name)
        headers[name] = value if old is None else old + b", " + value
    return parts[0], int(parts[1]), headers


def _tokens(value: bytes | None) -> list[bytes]:
    return [t.strip(b" \t").lower() for t in value.split(b",")] if value else []


def _read_body(stream: _Stream, status: int, headers: dict[bytes, bytes],
               limit: int) -> tuple[bytes, bool, bool]:  # fmt: skip
    """The body (up to `limit`), whether it was read whole, and whether its framing lets the connection be kept."""
    if status in (204, 304):
        return b"", True, stream.rest() == 0
    length = headers.get(b"content-length")
    if length is not None:
        values = {v.strip(b" \t") for v in length.split(b",")}  # "5, 5" and two fields of 5 are one length
        length = values.pop()
        if values or not length.isdigit() or len(length) > 18:  # lengths that disagree: RFC 9112 §6.3
            raise WireError("invalid_response")
    coding = headers.get(b"transfer-encoding")
    if coding is not None:
        if _tokens(coding)[-1:] != [b"chunked"]:  # not chunked last: the body ends with the connection (§6.3)
            return _read_to_end(stream, limit)
        body, complete, keep = _read_chunked(stream, limit)
        return body, complete, keep and length is None  # with a Content-Length too: chunked wins, never reused
    if length is not None:
        return _read_length(stream, int(length), limit)
    return _read_to_end(stream, limit)


def _read_length(stream: _Stream, length: int, limit: int) -> tuple[bytes, bool, bool]:
    body = stream.take(min(length, limit))
    complete = length <= limit
    return body, complete, complete and stream.rest() == 0  # bytes past the body: the connection is in doubt


def _read_to_end(stream: _Stream, limit: int) -> tuple[bytes, bool, bool]:
    """A body that ends when the connection does; the connection is never kept."""
    buf = stream.buf
    while len(buf) - stream.pos < limit:
        chunk = recv(stream.sock, stream.deadline)
        if not chunk:
            return bytes(buf[stream.pos :]), True, False
        buf += chunk
    return bytes(buf[stream.pos : stream.pos + limit]), False, False


def _read_chunked(stream: _Stream, limit: int) -> tuple[bytes, bool, bool]:
    body = bytearray()
    while True:
        size_text = stream.line(LINE_LIMIT).split(b";", 1)[0].strip(b" \t")
        if not size_text or size_text.strip(_HEX) or len(size_text) > 16:
            raise WireError("invalid_response")
        size = int(size_text, 16)
        if size == 0:
            return bytes(body), True, _trailers(stream)
        if len(body) + size > limit:
            body += stream.take(limit - len(body))
            return bytes(body), False, False
        body += stream.take(size)
        stream.line_end()


def _trailers(stream: _Stream) -> bool:
    """Read past the trailers after the last chunk; True when nothing else came (the connection may be kept)."""
    budget = TRAILER_LIMIT
    while line := stream.line(budget):
        budget -= len(line) + 1
    return stream.rest() == 0
