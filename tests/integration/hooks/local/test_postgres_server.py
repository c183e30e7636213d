"""The private PostgreSQL: its own port and directory, restarted after a crash with its data, stopped by pid."""

from __future__ import annotations

import os
import shutil

import psycopg
import pytest
from sqlalchemy import Engine, text

from hooks.history.writer import write_batch
from hooks.local.postgres import PostgresServer
from tests.integration.hooks.history.factories import BASE_S, event


def test_a_killed_server_restarts_on_the_same_port_with_its_data_and_stop_cleans_up() -> None:
    server = PostgresServer().start()
    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept VALUES (7)")
        old_pid, port = server.pid, server.port

        server.restart(kill=True)

        assert server.port == port and server.pid not in (None, old_pid)
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT n FROM kept").fetchone() == (7,)
    finally:
        pid = server.pid
        server.stop()
    assert pid is not None and not os.path.exists(server.dir)
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


def test_the_writer_carries_on_after_the_server_is_killed_and_restarted(
    postgres_server: PostgresServer, history: Engine
) -> None:
    first = event(BASE_S)
    write_batch(history, [first])

    postgres_server.restart(kill=True)
    second = event(BASE_S + 1)
    write_batch(history, [second])  # pooled connections died with it: pre-ping replaces them

    with history.connect() as conn:  # counted by id: the session's archiver may write other events meanwhile
        ids = [first.id, second.id]
        assert conn.execute(text("SELECT count(*) FROM events WHERE id = ANY(:ids)"), {"ids": ids}).scalar_one() == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs another user")
def test_as_root_the_server_runs_as_an_unprivileged_user(postgres_server: PostgresServer) -> None:
    with open(f"/proc/{postgres_server.pid}/status") as status:
        uid_line = next(line for line in status if line.startswith("Uid:"))

    assert int(uid_line.split()[1]) != 0


def test_without_postgres_on_path_the_one_pgserver_bundles_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no PostgreSQL binaries on PATH (a machine with nothing but Python)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    # When a private server starts, Then it is pgserver's, it answers, and stop leaves nothing behind
    server = PostgresServer().start()
    try:
        assert "pgserver" in str(server.bin_dir)
        with psycopg.connect(server.url, connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()
    assert server.pid is None and not os.path.exists(server.dir)
