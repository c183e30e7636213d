"""The small HTTP/1.1 client (workers/attempt/wire.py) against raw servers on 127.0.0.1: every framing of an
answer, kept connections, and answers that are not answers."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from tests.support.raw_http import Handler, RawHttp
from workers.attempt.wire import Answer, Connection, WireError

HEAD = b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n"


def _answer_in_turn(answers: tuple[bytes, ...], close_after: bool) -> Handler:
    """A connection's handler: each request read whole gets the next of `answers`; with `close_after`, only one."""

    def handle(server: RawHttp, conn: socket.socket) -> None:
        buf = bytearray()
        for answer in answers:
            if not server.read_request(conn, buf):
                return
            conn.sendall(answer)
            if close_after:
                return

    return handle


@pytest.fixture
def serve() -> Iterator[Callable[..., RawHttp]]:
    """Factory: a raw server answering each connection's requests with the given bytes in turn."""
    made: list[RawHttp] = []

    def make(*answers: bytes, close_after: bool = False) -> RawHttp:
        made.append(RawHttp(_answer_in_turn(answers, close_after)))
        return made[-1]

    yield make
    for server in made:
        server.close()


def post(conn: Connection, limit: int = 65536, timeout_s: float = 5.0) -> Answer:
    return conn.post(HEAD, b"ok", time.monotonic() + timeout_s, 2.0, limit)


def test_a_content_length_body_is_read_and_the_connection_kept(serve):
    server = serve(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
    )
    conn = Connection("127.0.0.1", server.port, "127.0.0.1", None)
    first, second = post(conn), post(conn)
    assert (first.status, first.body, first.complete, second.status) == (200, b"hello", True, 201)
    assert server.connections == 1


def test_a_chunked_body_with_trailers_is_read_whole(serve):
    server = serve(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n"
    )
    answer = post(Connection("127.0.0.1", server.port, "127.0.0.1", None))
    assert (answer.body, answer.complete) == (b"hello world", True)


def test_informational_answers_are_skipped(serve):
    server = serve(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nRetry-After: 3\r\n\r\n")
    answer = post(Connection("127.0.0.1", server.port, "127.0.0.1", None))
    assert answer.status == 204 and answer.headers[b"retry-after"] == b"3"
    assert answer.head == b"HTTP/1.1 204 No Content\r\nRetry-After: 3"  # the final answer's, for the attempt log


def test_a_body_cut_short_is_not_an_answer(serve):
    server = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this", close_after=True)
    with pytest.raises(WireError) as error:
        post(Connection("127.0.0.1", server.port, "127.0.0.1", None))
    assert error.value.kind == "connection_error"


def test_a_body_over_the_limit_is_cut_there_and_the_connection_dropped(serve):
    server = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100)
    conn = Connection("127.0.0.1", server.port, "127.0.0.1", None)
    answer = post(conn, limit=10)
    assert (answer.body, answer.complete, conn.sock) == (b"x" * 10, False, None)


def test_connection_close_and_http10_are_not_kept(serve):
    for answer in (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                   b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"):  # fmt: skip
        conn = Connection("127.0.0.1", serve(answer).port, "127.0.0.1", None)
        assert post(conn).status == 200 and conn.sock is None


def test_a_kept_connection_the_server_closed_is_replaced_before_the_next_request(serve):
    server = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", close_after=True)
    conn = Connection("127.0.0.1", server.port, "127.0.0.1", None)
    assert post(conn).status == 200
    time.sleep(0.2)  # the server has hung up meanwhile
    assert post(conn).status == 200 and server.connections == 2


def test_garbage_is_an_invalid_response_and_a_closed_port_is_refused(serve):
    with pytest.raises(WireError) as error:
        post(Connection("127.0.0.1", serve(b"SMTP ready\r\n\r\n").port, "127.0.0.1", None))
    assert error.value.kind == "invalid_response"
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(WireError) as error:
        post(Connection("127.0.0.1", port, "127.0.0.1", None))
    assert error.value.kind == "connection_refused"
