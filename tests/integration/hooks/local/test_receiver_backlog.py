"""The test receiver queues connections like a real server while it is too busy to accept them."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

from hooks.local.receiver import Receiver


def test_thirty_connections_made_at_once_while_the_receiver_accepts_none_all_connect_within_a_second() -> None:
    # Given a receiver listening but not accepting (its serving thread not started: a CPU-starved process)
    receiver = Receiver()
    port = receiver.server.server_address[1]

    def connect(_: int) -> bool:
        with socket.socket() as s:
            s.settimeout(1.0)  # the fault tests' HOOKS_CONNECT_TIMEOUT_S
            try:
                s.connect(("127.0.0.1", port))
                return True
            except OSError:
                return False

    try:
        # When 30 drains connect at once, then every connection is made (a backlog of 5 let 6 through, 24 failed)
        with ThreadPoolExecutor(30) as pool:
            assert all(pool.map(connect, range(30)))
    finally:
        receiver.server.server_close()
