"""The benchmark's receivers: a raw asyncio HTTP/1.1 keep-alive server on 127.0.0.1, run as its own process.

`fast` answers every POST with 204 at once and records (arrival time, publish time, key) per request; `dead`
accepts connections, reads what comes and never answers. Control requests (`GET /__stats`, `GET /__take`) let
the benchmark read the records without sharing memory. The publish time and a sequence number are read from the
body (`"bn":<int>,"bt":<float>` as the benchmark writes them into the event data); the dedupe key is the path
plus that sequence number (at-least-once delivery may deliver twice).

Run: `python -m bench.receiver --port P [--dead]`; it prints `ready` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import time
import urllib.request

_MARK = re.compile(rb'"bn":(\d+),"bt":([0-9.]+)')
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
_MAX_HEADER_BYTES = 64 * 1024


class Records:
    """What the fast receiver saw since the last take."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, str]] = []
        self.keys: set[str] = set()
        self.requests = 0

    def add(self, path: bytes, body: bytes) -> None:
        now = time.time()
        self.requests += 1
        m = _MARK.search(body, 0, 400) or _MARK.search(body)
        if m is None:
            return
        key = path.decode("latin-1") + "#" + m.group(1).decode()
        if key in self.keys:
            return
        self.keys.add(key)
        self.rows.append((now, float(m.group(2)), key))

    def stats(self) -> bytes:
        return json.dumps({"unique": len(self.rows), "requests": self.requests}).encode()

    def take(self) -> bytes:
        out = json.dumps({"rows": self.rows, "requests": self.requests}).encode()
        self.rows, self.keys, self.requests = [], set(), 0
        return out


class FastProtocol(asyncio.Protocol):
    """One connection: parse pipelined HTTP/1.1 requests, answer 204 (or the control JSON)."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > _MAX_HEADER_BYTES and self.transport:
                    self.transport.close()
                return
            head = self.buf[:end]
            length = _content_length(head)
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4 : end + 4 + length]
            self.buf = self.buf[end + 4 + length :]
            self._answer(head, body)

    def _answer(self, head: bytes, body: bytes) -> None:
        method, _, rest = head.partition(b" ")
        path = rest.partition(b" ")[0]
        assert self.transport is not None
        if method == b"GET" and path.startswith(b"/__"):
            payload = self.records.take() if path == b"/__take" else self.records.stats()
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                                 % len(payload) + payload)  # fmt: skip
            return
        self.records.add(path, body)
        self.transport.write(_NO_CONTENT)


class DeadProtocol(asyncio.Protocol):
    """Accepts, reads and discards, never answers: the endpoint that hangs every request."""

    def data_received(self, data: bytes) -> None:
        pass


def _content_length(head: bytes) -> int:
    low = head.lower()
    i = low.find(b"\r\ncontent-length:")
    if i < 0:
        return 0
    j = low.find(b"\r\n", i + 2)
    return int(low[i + 17 : j if j >= 0 else len(low)].strip() or 0)


async def serve(port: int, dead: bool) -> None:
    loop = asyncio.get_running_loop()
    records = Records()
    factory = DeadProtocol if dead else (lambda: FastProtocol(records))
    server = await loop.create_server(factory, "127.0.0.1", port, backlog=1024, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dead", action="store_true")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.dead))


class ReceiverClient:
    """Reads the records of a fast receiver over its control paths."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def _get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:  # noqa: S310 - loopback only
            return json.loads(resp.read())

    def unique(self) -> int:
        """How many distinct deliveries arrived since the last take."""
        return int(self._get("/__stats")["unique"])

    def take(self) -> tuple[list[tuple[float, float, str]], int]:
        """The rows (arrival s, publish s, key) and the request count since the last take, and reset."""
        data = self._get("/__take")
        return [tuple(r) for r in data["rows"]], int(data["requests"])  # type: ignore[misc]


if __name__ == "__main__":
    main()
