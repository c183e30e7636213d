"""The archiver with real processes: what finishes leaves Redis for the history, exactly once, whatever dies."""

from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import text

import hooks
from hooks.history.connection import get_engine
from hooks.history.db import upgrade
from hooks.local.processes import archiver_args, scheduler_args
from hooks.store.connection import get_redis
from hooks.store.keys import Keys
from tests.conftest import every, wait_for


def history_counts() -> tuple[int, int, int]:
    """Rows in events, deliveries, attempts."""
    with get_engine().connect() as conn:
        return tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # type: ignore[return-value]
                     for t in ("events", "deliveries", "attempts"))  # fmt: skip


def duplicates() -> int:
    """Deliveries or attempts stored more than once (the keys forbid it; this checks it)."""
    with get_engine().connect() as conn:
        return int(conn.execute(text(
            "SELECT (SELECT count(*) - count(DISTINCT id) FROM deliveries)"
            " + (SELECT count(*) - count(DISTINCT (delivery_id, attempt)) FROM attempts)")).scalar_one())  # fmt: skip


def test_finished_work_leaves_redis_and_only_work_in_flight_stays(make_cluster, receiver):
    # Given a cluster whose finished deliveries stay readable in Redis for one second
    cluster = make_cluster(HOOKS_FINISHED_TTL_S="1")
    cluster.worker(), cluster.scheduler()
    wh = hooks.create_webhook(receiver.url + "/ok", ["e"])
    keys, client = Keys(cluster.settings), get_redis()
    # When 300 events are delivered
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(300)])
    wait_for(lambda: history_counts() == (300, 300, 300), 60, what="the history to hold every record")

    # Then they have left Redis: no delivery or event key, no index entry, an empty stream
    def only_the_webhook_left() -> bool:
        names = {k.decode() for k in client.scan_iter(f"{keys.p}:*")}
        return not [n for n in names if n.startswith((f"{keys.p}:dl:", f"{keys.p}:ev:"))] and not client.xlen(
            keys.history
        )

    wait_for(only_the_webhook_left, 15, what="finished deliveries and events to leave Redis")
    assert client.zcard(keys.deliveries_all) == client.zcard(keys.events_all) == 0
    # And the reads still show them, from the history
    assert len(every(hooks.list_deliveries, webhook_id=wh.id, status="delivered")) == 300
    assert duplicates() == 0


@pytest.mark.slow
def test_an_archiver_killed_mid_batch_loses_nothing_and_stores_nothing_twice(make_cluster, receiver):
    # Given 600 deliveries made while no archiver ran: their records wait in the stream
    cluster = make_cluster(archiver=False, HOOKS_ARCHIVE_BATCH="3", HOOKS_ARCHIVE_CLAIM_IDLE_S="1")
    cluster.worker(), cluster.scheduler()
    hooks.create_webhook(receiver.url + "/ok", ["e"])
    hooks.publish_events([{"event_type": "e", "data": {"i": i}} for i in range(600)])
    wait_for(lambda: len(receiver.requests_to("/ok")) >= 600, 60, what="600 deliveries")
    assert history_counts() == (0, 0, 0)
    # When an archiver is SIGKILLed while it writes, small batch after small batch
    first = cluster.archiver()
    wait_for(lambda: history_counts()[1] >= 100, 30, what="the first archiver to write some")
    cluster.kill(first)
    stored = history_counts()
    assert stored[1] < 600, "it was killed before the end"
    # Then another archiver claims what the dead one held, and every record is stored exactly once
    cluster.archiver()
    wait_for(lambda: history_counts() == (600, 600, 600), 60, what="every record in the history")
    assert duplicates() == 0
    assert get_redis().xlen(Keys(cluster.settings).history) == 0
    pending = get_redis().xpending(Keys(cluster.settings).history, "archivers")
    assert pending["pending"] == 0


@pytest.mark.slow
def test_the_database_down_under_load_past_the_finished_ttl_and_claim_idle_loses_nothing(
    make_cluster, receiver, postgres_server
):
    # Given a cluster delivering a steady stream of events, whose finished deliveries leave Redis after 1 s and whose
    # archiver's idle entries are claimable after 1 s (the defaults are 10 s: this outage lasts 8 times each)
    cluster = make_cluster(HOOKS_FINISHED_TTL_S="1", HOOKS_ARCHIVE_CLAIM_IDLE_S="1")
    cluster.worker(), cluster.scheduler()
    hooks.create_webhook(receiver.url + "/ok", ["e"])
    sent = 0

    def publish_for(seconds: float) -> None:
        nonlocal sent
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            hooks.publish_events([{"event_type": "e", "data": {"i": sent + i}} for i in range(20)])
            sent += 20
            time.sleep(0.1)

    publish_for(2)
    # When PostgreSQL stops for 8 s while events keep coming
    postgres_server.halt()
    try:
        publish_for(8)
        # Then delivery goes on meanwhile: every event arrives, the records wait in the stream
        wait_for(lambda: len(receiver.requests_to("/ok")) >= sent, 30, what="every delivery while the database is down")
        assert get_redis().xlen(Keys(cluster.settings).history) > 0
    finally:
        postgres_server.start()
    # And once it is back the archiver catches up: everything is in the history, once
    wait_for(lambda: history_counts() == (sent, sent, sent), 60, what="the archiver to catch up")
    assert duplicates() == 0
    log = "".join(p.read_text() for p in cluster.logs("archiver"))
    assert "history database unavailable" in log and "history database back after" in log
    assert log.count("history database unavailable") == 1, "one line per outage, not one per try"


@pytest.mark.parametrize("process", ["scheduler", "archiver", "worker"])
def test_a_process_refuses_an_old_schema_saying_what_to_run(process, hooks_env, empty_database_url, tmp_path):
    # Given a history database one migration behind
    upgrade(empty_database_url, "0001")
    env = {**hooks_env, "HOOKS_DATABASE_URL": empty_database_url}
    # When the process starts, Then it exits at once with one line that says what to run
    done = _run(process, env)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "revision 0001" in last and "run `hooks db upgrade`" in last, done.stderr[-1500:]


@pytest.mark.parametrize("process", ["scheduler", "archiver", "worker"])
def test_a_process_refuses_to_start_without_a_database(process, hooks_env):
    env = {k: v for k, v in hooks_env.items() if k != "HOOKS_DATABASE_URL"}
    done = _run(process, env)
    assert done.returncode != 0
    assert "HOOKS_DATABASE_URL: not set" in done.stderr.strip().splitlines()[-1], done.stderr[-1500:]


def _run(process: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from hooks.local.processes import worker_args

    args = {"scheduler": scheduler_args(), "archiver": archiver_args(), "worker": worker_args(concurrency=1)}[process]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
