"""A webhook receiver on 127.0.0.1 for the demo, the tests and the benchmark.

It records every request and answers with a programmable script per path: a list of (status, delay s,
headers) steps, the last repeated; headers are a dict, or [(name, value), ...] to send one name twice. Never point anything but loopback traffic at it.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Step = tuple[int, float, dict[str, str] | list[tuple[str, str]]]


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int
    peer_port: int = 0  # the sender's source port (which process sent it: tests map it through /proc/net/tcp)


@dataclass
class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records what it receives."""

    default: Step = (204, 0.0, {})
    scripts: dict[str, list[Step]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    chaos: dict[str, float] = field(default_factory=dict)  # path -> share of requests answered 500 at random
    peak_in_flight: dict[str, int] = field(default_factory=dict)  # path -> most requests at once it has seen

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self._random = random.Random(1234)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, delay, headers = receiver._next(self.path)
                with receiver._lock:
                    got = Received(self.path, dict(self.headers.items()), body, time.time(), status,
                                   self.client_address[1])  # fmt: skip
                    receiver.received.append(got)
                    now = receiver._in_flight[self.path] = receiver._in_flight.get(self.path, 0) + 1
                    receiver.peak_in_flight[self.path] = max(now, receiver.peak_in_flight.get(self.path, 0))
                if delay:
                    time.sleep(delay)
                with receiver._lock:  # answered from here on: the sender may send the next one
                    receiver._in_flight[self.path] -= 1
                self.send_response(status)
                for k, v in headers.items() if isinstance(headers, dict) else headers:
                    self.send_header(k, v)
                payload = b"" if status in (204, 304) else b"ok"
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            # socketserver listens with a backlog of 5: while this process is starved of CPU, the 6th drain
            # connecting at once had its SYN dropped and, with a 1 s connect timeout (the fault tests'), failed an
            # attempt that never reached us (a fault test counted 516 attempts for 512 requests). Real servers
            # listen with hundreds (nginx 511).
            request_queue_size = 128

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that hangs up (a worker stopping) is not news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, path: str, steps: list[Step]) -> None:
        """Answer requests to `path` with these steps in order, the last one repeated."""
        with self._lock:
            self.scripts[path] = steps
            self._counts[path] = 0

    def _next(self, path: str) -> Step:
        with self._lock:
            if path in self.chaos:
                return (500, 0.0, {}) if self._random.random() < self.chaos[path] else self.default
            steps = self.scripts.get(path)
            if not steps:
                return self.default
            n = self._counts.get(path, 0)
            self._counts[path] = n + 1
            return steps[min(n, len(steps) - 1)]

    def ids_at(self, path: str, *, status: int | None = None) -> list[str]:
        """The `webhook-id` of every request to `path` (answered with `status`, if given), in arrival order."""
        return [r.headers.get("webhook-id", "") for r in self.requests_to(path) if status is None or r.status == status]

    def requests_to(self, path: str) -> list[Received]:
        """What arrived at one path, in order."""
        with self._lock:
            return [r for r in self.received if r.path == path]
