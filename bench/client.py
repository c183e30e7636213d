"""`python -m bench.client`: the CPU one POST costs the delivery client, against a baseline in the same run.

N POSTs (1 KiB body, the attempt's real headers) over one kept-alive loopback connection to a minimal raw-socket
server (a process of its own, so its CPU is not counted), timed with the client thread's CPU clock
(`time.thread_time`). Three clients, interleaved round by round (the median round is reported):

- `baseline`: workers/attempt/wire.py as it is at git revision `--against` (default: main), loaded from git;
- `wire`: workers/attempt/wire.py as it is in this tree;
- `h11`: the same socket, connect and deadline with h11 (the encode team's sans-I/O HTTP/1.1 parser) doing the
  request's framing and the answer's parsing (bench/client_h11.py).

    .venv/bin/python -m bench.client [--requests 5000] [--rounds 5] [--against main]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bench import client_h11
from hooks.local.servers import free_port
from workers.attempt import wire

ROOT = Path(__file__).resolve().parent.parent
BODY = b'{"type":"order.paid","data":{"id":"ord_1","amount":1200,"pad":"' + b"x" * 960 + b'"}}'
HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "hooks/0.1",
    "webhook-id": "msg_2mQqGJxBv1b8yYgk3dWZy0e9fRt",
    "webhook-timestamp": "1767225600",
    "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
}
ANSWER = (b"HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nServer: bench\r\n"
          b"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")  # fmt: skip

# The server: reads each request (head, then Content-Length bytes) and answers ANSWER, a thread per connection.
SERVER = """
import socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
answer = sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1")

def serve(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    while True:
        end = buf.find(b"\\r\\n\\r\\n")
        if end >= 0:
            head = buf[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15:].split(b"\\r\\n", 1)[0]) if at >= 0 else 0
            if len(buf) >= end + 4 + length:
                buf = buf[end + 4 + length:]
                conn.sendall(answer)
                continue
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
    conn.close()

print("ready", flush=True)
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"""


def load_wire_at(revision: str) -> ModuleType:
    """workers/attempt/wire.py as it is at git `revision`, imported as a module of its own."""
    source = subprocess.run(["git", "show", f"{revision}:workers/attempt/wire.py"], cwd=ROOT, check=True,
                            capture_output=True).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "wire_baseline.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("wire_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def wire_client(module: ModuleType, port: int) -> Callable[[], int]:
    """One POST with `module`'s Connection (the head encoded once, as workers/attempt/http.py does per attempt)."""
    conn = module.Connection("127.0.0.1", port, "127.0.0.1", None)
    lines = ["POST /hook HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(BODY)}", "Accept-Encoding: identity",
             *(f"{k}: {v}" for k, v in HEADERS.items())]  # fmt: skip

    def post() -> int:
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return int(conn.post(head, BODY, time.monotonic() + 15, 5.0, 65536).status)

    return post


def h11_client(port: int) -> Callable[[], int]:
    conn = client_h11.Connection("127.0.0.1", port, "127.0.0.1", None)
    return lambda: conn.post("/hook", HEADERS, BODY, time.monotonic() + 15, 5.0, 65536).status


def cpu_us(post: Callable[[], int], requests: int) -> float:
    """Microseconds of this thread's CPU per POST, over `requests` POSTs."""
    out: list[float] = []

    def run() -> None:
        for _ in range(50):  # warm up: the connection made, caches filled
            post()
        started = time.thread_time()
        for _ in range(requests):
            if post() != 200:
                raise RuntimeError("the bench server did not answer 200")
        out.append((time.thread_time() - started) / requests * 1e6)

    thread = threading.Thread(target=run)  # a thread of its own: its clock counts nothing else
    thread.start()
    thread.join()
    if not out:
        raise RuntimeError("the client thread failed")
    return out[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", default="main", help="the git revision whose wire.py is the baseline")
    args = parser.parse_args(argv)
    port = free_port()
    escaped = ANSWER.decode("latin-1").encode("unicode_escape").decode("latin-1")
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), escaped], stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == b"ready"
        clients = {"baseline": wire_client(load_wire_at(args.against), port), "wire": wire_client(wire, port),
                   "h11": h11_client(port)}  # fmt: skip
        figures: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(args.rounds):
            for name, post in clients.items():
                figures[name].append(cpu_us(post, args.requests))
    finally:
        server.kill()
        server.wait()
    base = statistics.median(figures["baseline"])
    print(f"client CPU per POST, {args.requests} POSTs x {args.rounds} rounds, 1 KiB body, one kept-alive "
          f"loopback connection (median round; baseline = wire.py at {args.against})")  # fmt: skip
    for name, runs in figures.items():
        median = statistics.median(runs)
        print(f"  {name:<9} {median / 1000:.4f} ms  ({median - base:+.1f} us vs baseline; "
              f"rounds {', '.join(f'{r:.1f}' for r in runs)} us)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
