"""publish_event never hangs and never drops silently: Redis down or silent -> PublishError."""

from __future__ import annotations

import socket
import threading

import pytest

import hooks
from hooks.local.servers import free_port
from hooks.settings import Settings, reset_settings
from hooks.store.connection import close_all


@pytest.fixture
def point_at(monkeypatch):
    def _point(url: str) -> None:
        monkeypatch.setenv("REDIS_URL", url)
        monkeypatch.setenv("HOOKS_PUBLISH_TIMEOUT_S", "0.5")
        close_all()
        reset_settings(Settings.from_env())

    yield _point
    reset_settings(None)
    close_all()


def test_nothing_listening_raises_publish_error(point_at):
    point_at(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(hooks.PublishError, match="could not publish"):
        hooks.publish_event("e", {})


def test_a_server_that_never_answers_raises_publish_error_instead_of_hanging(point_at):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        silent.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        point_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        with pytest.raises(hooks.PublishError, match="TimeoutError|idempotency_key"):
            hooks.publish_event("e", {}, idempotency_key="k1")
    finally:
        stop.set()
        t.join()
        for s in accepted:
            s.close()
        silent.close()
