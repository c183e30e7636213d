"""The delivery client (workers.attempt.http.post over wire.Connection) against raw-socket servers that write
exactly the bytes of each case of RFC 9112 that a real server may get wrong or abuse: bare-LF line ends, lengths
that disagree, obs-fold, Transfer-Encoding beside Content-Length, endless chunk-size lines and trailers, answers
sent before the body was read, and sends that fail. Each bad answer fails at once (well under the 5 s deadline)
under one of the attempt log's kinds; each good one is read right, and every request arrived exactly once.
"""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

import workers.attempt.http
from hooks.settings import Settings
from tests.support.raw_http import RawHttp, raw_servers
from workers.attempt.http import HttpResult, post

BODY = b'{"hello":"world"}'
HEADERS = {"Content-Type": "application/json"}
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.fixture
def raw() -> Iterator[Callable[..., RawHttp]]:
    yield from raw_servers()


@pytest.fixture(autouse=True)
def fresh_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers.attempt.http, "_local", threading.local())


def timed(server: RawHttp, settings: Settings, body: bytes = BODY) -> tuple[HttpResult, float]:
    started = time.monotonic()
    result = post(server.url, body, HEADERS, settings)
    return result, time.monotonic() - started


def answering(*answers: bytes) -> Callable[[RawHttp, socket.socket], None]:
    return lambda server, conn: server.answer_each(conn, *answers)


def test_bare_lf_answers_are_read_and_the_connection_kept(settings, raw):
    server = raw(answering(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
                           b"HTTP/1.1 201 Created\nTransfer-Encoding: chunked\n\n2\nok\n0\nT: 1\n\n"))  # fmt: skip
    results = [timed(server, settings) for _ in range(3)]
    assert [(r.status, r.body, r.error) for r, _ in results] == [(200, b"ok", None), (201, b"ok", None),
                                                                 (201, b"ok", None)]  # fmt: skip
    assert max(t for _, t in results) < 1 and server.connections == 1 and len(server.requests) == 3


def test_content_lengths_that_disagree_fail_at_once_and_the_connection_is_closed(settings, raw):
    server = raw(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\nok"))
    first, took = timed(server, settings)
    assert (first.error, first.status) == ("invalid_response", None) and took < 1
    second, took = timed(server, settings)
    assert second.error == "invalid_response" and took < 1
    assert server.connections == 2 and len(server.requests) == 2  # never reused after a framing error


@pytest.mark.parametrize("lengths", [b"Content-Length: 2\r\nContent-Length: 2", b"Content-Length: 2, 2"])
def test_identical_content_lengths_are_one_length(settings, raw, lengths):
    server = raw(answering(b"HTTP/1.1 200 OK\r\n" + lengths + b"\r\n\r\nok"))
    results = [timed(server, settings) for _ in range(2)]
    assert [(r.status, r.body) for r, _ in results] == [(200, b"ok")] * 2 and server.connections == 1


def test_an_obs_fold_line_is_folded_into_the_field_before_never_a_field_of_its_own(settings, raw):
    # before: " Content-Length: 50" was read as a field of its own (the last wins) and the answer waited for the
    # deadline; folded (RFC 9112 §5.2), it is part of X-Note and the length is 2
    server = raw(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Note: a\r\n Content-Length: 50\r\n\r\nok"))
    result, took = timed(server, settings)
    assert (result.status, result.body, result.error) == (200, b"ok", None) and took < 1
    assert b"X-Note: a\r\n Content-Length: 50" in result.head  # the log keeps the head as received


def test_an_obs_fold_with_no_field_before_it_is_invalid(settings, raw):
    server = raw(answering(b"HTTP/1.1 200 OK\r\n Content-Length: 2\r\n\r\nok"))
    result, took = timed(server, settings)
    assert result.error == "invalid_response" and took < 1


@pytest.mark.parametrize("head", [b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",  # space before the colon
                                  b"HTTP/1.1 200 OK\r\nContent-Length\r\n\r\nok",  # no colon
                                  b"HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 2\r\n\r\nok",  # a bare CR
                                  b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
                                  b"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok",
                                  CHUNKED + b"2\r\nokXX0\r\n\r\n",  # no CRLF after the chunk's data
                                  CHUNKED + b"-2\r\nok\r\n0\r\n\r\n", CHUNKED + b"0x2\r\nok\r\n0\r\n\r\n"],
                         ids=["space-before-colon", "no-colon", "bare-cr", "status", "negative-length", "chunk-end",
                              "negative-chunk", "0x-chunk"])  # fmt: skip
def test_other_bad_framing_fails_at_once(settings, raw, head):
    result, took = timed(raw(answering(head)), settings)
    assert result.error == "invalid_response" and took < 1


def test_transfer_encoding_beside_content_length_is_read_chunked_and_the_connection_not_reused(settings, raw):
    server = raw(answering(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n"
                           b"2\r\nok\r\n0\r\n\r\n"))  # fmt: skip
    results = [timed(server, settings) for _ in range(2)]
    assert [(r.status, r.body) for r, _ in results] == [(200, b"ok")] * 2 and max(t for _, t in results) < 1
    assert server.connections == 2 and len(server.requests) == 2


@pytest.mark.parametrize(("start", "piece"), [(CHUNKED, b"1" * 65536),  # an endless chunk-size line
                                              (CHUNKED + b"1;ext=", b"x" * 65536),  # an endless extension
                                              (CHUNKED + b"0\r\n", b"X-Trailer: " + b"x" * 65536),  # one trailer
                                              (CHUNKED + b"0\r\n", b"X-T: x\r\n" * 8192)],  # many trailers
                         ids=["chunk-size", "extension", "one-trailer", "many-trailers"])  # fmt: skip
def test_endless_chunk_lines_and_trailers_fail_at_once_in_bounded_memory(settings, raw, start, piece):
    server = raw(lambda server, conn: server.endless(conn, start, piece))
    tracemalloc.start()
    try:
        result, took = timed(server, settings)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.error == "invalid_response" and took < 1
    assert peak < 2 * 1024 * 1024  # the limits (4 KiB a chunk line, 64 KiB of trailers) and a 64 KiB read or two


def test_an_answer_sent_before_the_body_was_read_is_read(settings, raw):
    """The server answers after the head and closes without reading a 4 MB body (our send fails): the answer
    stands, and a 2xx is a delivery, not a failure followed by a duplicate."""

    def early(status: bytes) -> Callable[[RawHttp, socket.socket], None]:
        def handle(server: RawHttp, conn: socket.socket) -> None:
            if server.read_head(conn, bytearray()) is not None:
                server.requests.append(b"head")
                conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")
                time.sleep(0.05)  # then close with the body unread: the kernel resets the connection

        return handle

    big = b"x" * (4 * 1024 * 1024)
    for status, expected in ((b"413 Payload Too Large", 413), (b"200 OK", 200)):
        server = raw(early(status))
        result, took = timed(server, settings, big)
        assert (result.status, result.error, result.body) == (expected, None, b"no") and took < 2
        assert server.requests == [b"head"] and server.connections == 1


def test_send_failures_carry_the_attempt_logs_kinds_not_class_names(settings, raw):
    def reset(server: RawHttp, conn: socket.socket) -> None:  # reads the head, then resets without an answer
        server.read_head(conn, bytearray())
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def stall(server: RawHttp, conn: socket.socket) -> None:  # reads nothing, answers nothing
        server.stop.wait(10)

    big = b"x" * (16 * 1024 * 1024)
    result, took = timed(raw(reset), settings, big)
    assert (result.error, result.status) == ("connection_error", None) and took < 2
    result, took = timed(raw(stall), settings.model_copy(update={"request_timeout_s": 0.5}), big)
    assert (result.error, result.status) == ("timeout", None) and took < 1.5


def test_a_kept_connection_closed_as_the_next_request_came_is_sent_once_more_on_a_new_one(settings, raw):
    """The server answers with keep-alive, then closes as the next request comes without reading it (gunicorn's
    gthread worker past its 64 KiB drain; any server at its keep-alive timeout): nothing was answered, so the
    request goes once more on a new connection and arrives exactly once. On a new connection there is no retry."""
    conns = itertools.count()
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    def closes_after_one(server: RawHttp, conn: socket.socket) -> None:
        if next(conns) > 0:
            return server.answer_each(conn, ok)
        buf = bytearray()
        server.read_request(conn, buf)
        conn.sendall(ok)
        conn.recv(1)  # the next request has begun: close with it unread (the kernel resets the connection)

    server = raw(closes_after_one)
    results = [timed(server, settings, b'{"n":%d}' % i) for i in range(2)]
    assert [(r.status, r.error) for r, _ in results] == [(200, None), (200, None)]
    assert server.requests == [b'{"n":0}', b'{"n":1}'] and server.connections == 2

    def resets(server: RawHttp, conn: socket.socket) -> None:
        server.read_request(conn, bytearray())
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    server = raw(resets)
    result, took = timed(server, settings)
    assert (result.error, server.connections, len(server.requests)) == ("connection_error", 1, 1) and took < 1
