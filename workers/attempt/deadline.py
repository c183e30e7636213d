"""A hard deadline per HTTP attempt that a server dripping one byte a second cannot stretch.

Socket timeouts restart at every byte received, so they bound silence, not duration. One watchdog thread
per process keeps the attempts' deadlines in a heap and shuts down the socket of any attempt still running
at its deadline; the blocked read then fails at once and the attempt is recorded as a timeout.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any

import urllib3.connection

_local = threading.local()


class Attempt:
    """The watchdog's handle on one attempt: its connection, and whether the deadline fired."""

    __slots__ = ("conn", "done", "fired", "sock")

    def __init__(self) -> None:
        self.conn: Any = None
        self.sock: Any = None  # http.client may drop conn.sock while the body is still being read
        self.done = False
        self.fired = False


class _Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Attempt]] = []
        self._cv = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, attempt: Attempt) -> None:
        with self._cv:
            heapq.heappush(self._heap, (deadline, next(self._seq), attempt))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hooks-deadline", daemon=True)
                self._thread.start()
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                wait = self._heap[0][0] - time.monotonic() if self._heap else None
                if wait is None or wait > 0:
                    self._cv.wait(timeout=wait)
                    continue
                _, _, attempt = heapq.heappop(self._heap)
            _cut(attempt)


def _cut(attempt: Attempt) -> None:
    sock = attempt.sock or getattr(attempt.conn, "sock", None)
    attempt.fired = True
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: nothing left to cut
            sock.shutdown(socket.SHUT_RDWR)


_watchdog = _Watchdog()


def begin(deadline: float) -> Attempt:
    """Start watching this thread's next attempt; it is cut at `deadline` (time.monotonic)."""
    attempt = Attempt()
    _local.attempt = attempt
    _watchdog.arm(deadline, attempt)
    return attempt


def end(attempt: Attempt) -> None:
    """Stop watching an attempt."""
    attempt.done = True
    _local.attempt = None


def _track(conn: Any) -> None:
    attempt = getattr(_local, "attempt", None)
    if attempt is not None:
        attempt.conn = conn


def _remember_socket(conn: Any) -> None:
    attempt = getattr(_local, "attempt", None)
    if attempt is not None:
        attempt.sock = conn.sock


class HTTPConnection(urllib3.connection.HTTPConnection):
    """A urllib3 connection the watchdog can cut."""

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _track(self)
        super().request(*args, **kwargs)
        _remember_socket(self)


class HTTPSConnection(urllib3.connection.HTTPSConnection):
    """A urllib3 TLS connection the watchdog can cut."""

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _track(self)
        super().request(*args, **kwargs)
        _remember_socket(self)
