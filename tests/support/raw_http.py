"""A raw-socket HTTP/1.1 server on 127.0.0.1 for the client's tests: it writes exactly the bytes a test gives (bare
LFs, bad framing, endless lines), counts the requests it read whole, and stops by closing its socket.

    server = RawHttp(lambda server, conn: server.answer_each(conn, b"HTTP/1.1 200 OK\\nContent-Length: 0\\n\\n"))
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

Handler = Callable[["RawHttp", socket.socket], None]


class RawHttp:
    """Accepts connections and hands each to `handle(server, conn)` in a thread of its own."""

    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.connections = 0
        self.requests: list[bytes] = []  # the bodies of the requests read whole, in order
        self.stop = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client went away: what some tests are about
            self.handle(self, conn)

    def read_head(self, conn: socket.socket, buf: bytearray) -> bytes | None:
        """The next request's head (`buf` keeps what came after it); None when the client closed first."""
        while (end := buf.find(b"\r\n\r\n")) < 0:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            buf += chunk
        head = bytes(buf[:end])
        del buf[: end + 4]
        return head

    def read_request(self, conn: socket.socket, buf: bytearray) -> bool:
        """Read one request whole (head and Content-Length body) and count it; False when the client closed."""
        head = self.read_head(conn, buf)
        if head is None:
            return False
        length = 0
        for line in head.lower().split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line[15:])
        while len(buf) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            buf += chunk
        with self._lock:
            self.requests.append(bytes(buf[:length]))
        del buf[:length]
        return True

    def answer_each(self, conn: socket.socket, *answers: bytes) -> None:
        """Answer each request on the connection with the next of `answers` (the last one again and again)."""
        buf = bytearray()
        n = 0
        while self.read_request(conn, buf):
            conn.sendall(answers[min(n, len(answers) - 1)])
            n += 1

    def endless(self, conn: socket.socket, start: bytes, piece: bytes) -> None:
        """Read one request, write `start`, then `piece` again and again until the client goes away."""
        if self.read_request(conn, bytearray()):
            conn.sendall(start)
            while not self.stop.is_set():
                conn.sendall(piece)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def raw_servers() -> Iterator[Callable[[Handler], RawHttp]]:
    """A fixture body: make servers, all closed after the test."""
    made: list[RawHttp] = []

    def make(handle: Handler) -> RawHttp:
        made.append(RawHttp(handle))
        return made[-1]

    yield make
    for server in made:
        server.close()
