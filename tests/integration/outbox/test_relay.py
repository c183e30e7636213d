"""The relay moves committed outbox rows to Redis (a real relay process, a real worker, a real receiver): a
committed event is delivered once, a rolled-back one never; killed mid-batch it publishes nothing twice; two relays
share a backlog; a row that can never be published is set aside with its error, shown and retried."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook as StandardVerifier

import hooks
from hooks import outbox
from hooks.local.postgres import PostgresServer
from hooks.local.processes import relay_args, start_process, stop_process
from hooks.outbox.schema import make_outbox_engine, migrate
from hooks.settings import Settings
from hooks.store.keys import Keys
from tests.conftest import wait_for
from tests.integration.outbox.conftest import outbox_rows


def relay(env: dict[str, str], engine: Engine, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    """A relay process on the app's database, started once it says so in its log."""
    url = engine.url.render_as_string(hide_password=False)
    proc = start_process(relay_args(), {**env, "HOOKS_OUTBOX_URL": url, **extra}, log)
    wait_for(
        lambda: proc.poll() is None and log.exists() and "relay started" in log.read_text(),
        30,
        what="the relay to start",
    )
    return proc


@pytest.fixture
def relays(hooks_env: dict[str, str], log_dir: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Relay processes a test starts, stopped by pid after it."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        stop_process(proc)


@pytest.fixture
def quiet(make_cluster) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The environment of a Redis database of its own where no worker runs: published events stay in the fan-out
    list, in the order they were published, to be counted."""
    return make_cluster(archiver=False).env  # type: ignore[no-any-return]


def in_redis(env: dict[str, str]) -> list[str]:
    """Event ids waiting for fan-out in the Redis of `env`, in order."""
    client = redis.Redis.from_url(env["REDIS_URL"])
    return [i.decode() for i in client.lrange(Keys(Settings.from_env(env)).fanout, 0, -1)]


def bulk(engine: Engine, n: int, *, event_type: str = "bulk.made", chunk: int = 1000) -> list[str]:
    """Commit `n` events to the outbox, `chunk` a transaction; returns their ids."""
    ids: list[str] = []
    for start in range(0, n, chunk):
        with engine.begin() as conn:
            ids += outbox.publish_many(
                conn, [{"event_type": event_type, "data": {"n": i}} for i in range(start, min(n, start + chunk))]
            )
    return ids


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize("database", ["app_pg", "app_sqlite"])
def test_a_committed_event_is_delivered_once_and_a_rolled_back_one_never(
    settings, receiver, hooks_env, log_dir, relays, database, request
):
    # Given a webhook, and a relay on the app's database (PostgreSQL wakes it by NOTIFY, SQLite is polled)
    engine: Engine = request.getfixturevalue(database)
    wh = hooks.create_webhook(receiver.url + "/orders", ["orders.#"], stack="shop")
    relays.append(relay(hooks_env, engine, log_dir / f"relay-{database}.log"))
    # When the app commits one order, rolls another back, then commits a third
    with engine.begin() as conn:
        first = outbox.publish(conn, "orders.created", {"order": 1}, stack="shop")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        outbox.publish(conn, "orders.created", {"order": 2}, stack="shop")
        raise RuntimeError("payment declined")
    with engine.begin() as conn:
        third = outbox.publish(conn, "orders.created", {"order": 3}, stack="shop")
    # Then the committed two arrive, signed, each once, and the rolled-back one never
    wait_for(lambda: len(receiver.requests_to("/orders")) >= 2, 20, what="both committed orders")
    wait_for(lambda: outbox_rows(engine) == [], 10, what="the outbox to empty")
    time.sleep(0.5)  # a duplicate or the rolled-back order would come right behind: give it the chance to show
    got = receiver.requests_to("/orders")
    assert [json.loads(StandardVerifier(wh.secret).verify(r.body, r.headers) and r.body)["id"] for r in got] == [
        first,
        third,
    ]
    assert [json.loads(r.body)["data"]["order"] for r in got] == [1, 3]


def test_a_relay_killed_between_redis_and_its_delete_publishes_nothing_twice(quiet, app_pg, log_dir, relays):
    # Given 6,000 committed events and a relay taking them 200 at a time (no worker: the events stay in Redis)
    ids = bulk(app_pg, 6000)
    proc = relay(quiet, app_pg, log_dir / "relay-kill-1.log", HOOKS_OUTBOX_BATCH="200")
    relays.append(proc)
    # When it is frozen at a moment when a batch is in Redis but still in the outbox (published, not yet
    # deleted), and SIGKILLed there
    client, keys = redis.Redis.from_url(quiet["REDIS_URL"]), Keys(Settings.from_env(quiet))
    caught = _freeze_mid_batch(proc, app_pg, client, keys)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert caught, "never caught the relay between its Redis call and its delete"
    # Then a new relay finishes the outbox, and Redis holds every event exactly once
    relays.append(relay(quiet, app_pg, log_dir / "relay-kill-2.log", HOOKS_OUTBOX_BATCH="200"))
    wait_for(lambda: outbox_rows(app_pg) == [], 60, what="the outbox to empty")
    published = in_redis(quiet)
    assert len(published) == len(set(published)) == 6000
    assert published == ids  # one relay: in commit order
    # and each event's key is remembered an hour (HOOKS_OUTBOX_IDEMPOTENCY_TTL_S), not publish_event's 24 hours
    assert 3000 < client.ttl(keys.idempotency(f"outbox:{ids[0]}")) <= 3600


def _freeze_mid_batch(proc: subprocess.Popen[bytes], engine: Engine, client: redis.Redis, keys: Keys) -> int:
    """SIGSTOP the relay again and again until the outbox's oldest row is already in Redis (a batch published
    and not yet deleted); returns how many such rows it caught (0: never, after 400 tries)."""
    for _ in range(400):
        os.kill(proc.pid, signal.SIGSTOP)
        waiting = [event_id for event_id, _ in outbox_rows(engine)[:200]]
        with client.pipeline(transaction=False) as pipe:
            for event_id in waiting:
                pipe.exists(keys.event(event_id))
            found = sum(pipe.execute())
        if found:
            return int(found)
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.003)
    return 0


def test_two_relays_share_a_backlog_and_publish_each_event_once(quiet, app_pg, log_dir, relays):
    # Given two relays waiting on one outbox
    for n in (1, 2):
        relays.append(relay(quiet, app_pg, log_dir / f"relay-pair-{n}.log", HOOKS_OUTBOX_BATCH="100"))
    # When 4,000 events are committed at once (both wake on the one NOTIFY)
    ids = bulk(app_pg, 4000, chunk=4000)
    # Then each is published once, and both relays took a share
    wait_for(lambda: outbox_rows(app_pg) == [], 60, what="the outbox to empty")
    published = in_redis(quiet)
    assert len(published) == len(set(published)) and sorted(published) == sorted(ids)
    counts = [int(_relayed(log_dir / f"relay-pair-{n}.log", relays[n - 1])) for n in (1, 2)]
    assert sum(counts) == 4000 and min(counts) > 0, counts  # both took part (SKIP LOCKED: never the same rows)


def _relayed(log: Path, proc: subprocess.Popen[bytes]) -> str:
    stop_process(proc)
    return log.read_text().rsplit("relay stopped (", 1)[1].split()[0]


def test_a_row_that_can_never_be_published_is_set_aside_shown_and_retried(quiet, app_pg, log_dir, relays):
    # Given a row that grew past the size limit the relay runs with (a setting lowered after it was written)
    with app_pg.begin() as conn:
        big = outbox.publish(conn, "a.big", {"blob": "x" * 5000})
        small = outbox.publish(conn, "a.small", {}, idempotency_key="the-apps-own")
    env = {**quiet, "HOOKS_OUTBOX_URL": app_pg.url.render_as_string(hide_password=False)}
    proc = relay(quiet, app_pg, log_dir / "relay-aside-1.log", HOOKS_MAX_EVENT_BYTES="4096")
    relays.append(proc)
    # When the relay meets it, Then the good row is published and the big one moved aside with its error
    wait_for(lambda: outbox_rows(app_pg) == [], 20, what="the outbox to empty")
    assert in_redis(quiet) == [small]
    client, keys = redis.Redis.from_url(quiet["REDIS_URL"]), Keys(Settings.from_env(quiet))
    assert client.ttl(keys.idempotency("the-apps-own")) > 80000  # the app's own key: as long as publish_event's
    failed = json.loads(_hooks(env, "outbox", "failed", "--json"))
    assert [(f["event_id"], f["event_type"]) for f in failed] == [(big, "a.big")]
    assert "over the limit of 4096 (HOOKS_MAX_EVENT_BYTES)" in failed[0]["error"]
    assert "set aside (failed):    1: see `hooks outbox failed`" in _hooks(env, "status")
    doctor = subprocess.run([*relay_args()[:3], "doctor"], env=env, capture_output=True, text=True, timeout=60)
    assert doctor.returncode == 3 and "warn  outbox: 1 rows set aside that were never published" in doctor.stdout
    # And once the limit is back, `hooks outbox retry` puts it back and it is published
    stop_process(proc)
    relays.append(relay(quiet, app_pg, log_dir / "relay-aside-2.log"))
    assert _hooks(env, "outbox", "retry", str(failed[0]["id"])).strip() == "put 1 row back in the outbox"
    wait_for(lambda: in_redis(quiet) == [small, big], 20, what="the retried row in Redis")
    assert json.loads(_hooks(env, "outbox", "failed", "--json")) == []


def test_a_relay_without_the_outbox_tables_says_what_to_run(hooks_env, empty_database_url):
    done = subprocess.run(
        relay_args(),
        env={**hooks_env, "HOOKS_OUTBOX_URL": empty_database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("hooks: error: the outbox table hooks_outbox is missing")
    assert done.stderr.strip().endswith("run `hooks outbox migrate` (a Django project: `manage.py migrate`).")


def _hooks(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*relay_args()[:3], *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_apps_database_down_is_waited_out_and_said_in_two_lines(quiet, log_dir, relays):
    # Given a relay on an app database of its own, listening for NOTIFY
    server = PostgresServer().start()
    try:
        engine = make_outbox_engine(server.url)
        migrate(engine)
        log = log_dir / "relay-db-down.log"
        relays.append(relay(quiet, engine, log))
        # When the database stops for a few seconds and comes back
        server.halt()
        wait_for(lambda: "cannot be reached" in log.read_text(), 30, what="the relay to notice")
        server.start()
        # Then what the app commits afterwards is relayed, and the outage took two lines of the log
        with engine.begin() as conn:
            event_id = outbox.publish(conn, "after.outage", {})
        wait_for(lambda: in_redis(quiet) == [event_id], 30, what="the event committed after the outage")
        # (the relay says it is back once the step that published the event has ended: a moment later)
        wait_for(lambda: "the outbox database is back after" in log.read_text(), 10, what="the relay to say it is back")
        text_ = log.read_text()
        assert text_.count("cannot be reached") == 1 and text_.count("the outbox database is back after") == 1, text_
        engine.dispose()
    finally:
        for proc in relays:
            stop_process(proc)
        server.stop()
