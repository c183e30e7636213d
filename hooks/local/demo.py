"""The demo: the whole system doing its main job on this machine, then stopping everything it started.

Starts a private redis-server (unless REDIS_URL is set) and a private PostgreSQL for the history (unless
HOOKS_DATABASE_URL is set), a Celery worker, the scheduler, the archiver, the outbox relay (on a SQLite file
standing for an app's database) and a receiver on 127.0.0.1 that verifies every signature; registers four
webhooks (a wildcard, one on another branch that must receive nothing, a concise one, one for the app's orders);
publishes a few events, and two orders through the outbox, in a transaction that commits and in one that rolls
back; prints what each webhook got and what reached the history; exits 0 only if that is exactly what was
expected. Run it with `scripts/demo` or `python -m hooks.local.demo`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hooks.history.db import upgrade
from hooks.local.postgres import PostgresServer
from hooks.local.processes import (
    archiver_args,
    relay_args,
    scheduler_args,
    start_process,
    stop_process,
    worker_args,
)
from hooks.local.receiver import Receiver
from hooks.local.servers import RedisServer
from hooks.outbox.schema import make_outbox_engine, migrate

EVENTS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("content_types.entries.publish", {"uid": "blt01", "title": "Hello", "locale": "en-us", "entry": {"body": "..."}},
     ["content_types.blog_post.entries.publish"]),
    ("content_types.entries.update", {"uid": "blt01", "title": "Hello again", "locale": "en-us"},
     ["content_types.blog_post.entries.update"]),
    ("assets.delete", {"uid": "blt99", "filename": "cat.png"}, []),
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the exit code. `--keep-logs` keeps the processes' logs even when all went well."""
    keep_logs = "--keep-logs" in (sys.argv[1:] if argv is None else argv)
    servers = _start_servers()
    os.environ.update({"HOOKS_ALLOW_PRIVATE_NETWORKS": "true", "HOOKS_REQUIRE_HTTPS": "false",
                       "HOOKS_KEY_PREFIX": f"demo{os.getpid()}"})  # fmt: skip
    logs = Path(tempfile.mkdtemp(prefix="hooks-demo-"))
    os.environ["HOOKS_OUTBOX_URL"] = f"sqlite:///{logs / 'app.db'}"  # the app's own database, with its outbox
    migrate(make_outbox_engine(os.environ["HOOKS_OUTBOX_URL"]))
    receiver = Receiver().start()
    procs = {
        name: start_process(args, os.environ, logs / f"{name}.log")
        for name, args in (
            ("worker", worker_args(concurrency=8)),
            ("scheduler", scheduler_args()),
            ("archiver", archiver_args()),
            ("relay", relay_args()),
        )
    }
    print(f"started {', '.join(f'the {n} (pid {p.pid})' for n, p in procs.items())} and a receiver on {receiver.url}")
    ok = False
    try:
        ok = _run(receiver)
    finally:
        for proc in procs.values():
            stop_process(proc)
        receiver.stop()
        for server in servers:
            server.stop()
        print(f"stopped everything the demo started; {_logs_fate(logs, keep=keep_logs or not ok)}")
    print("DEMO OK" if ok else "DEMO FAILED")
    return 0 if ok else 1


def _start_servers() -> list[RedisServer | PostgresServer]:
    """A private redis-server and PostgreSQL (the history, migrated) for what the environment does not name."""
    started: list[RedisServer | PostgresServer] = []
    if not os.environ.get("REDIS_URL"):
        redis_server = RedisServer(aof="everysec").start()  # AOF on, as production should run it
        started.append(redis_server)
        os.environ["REDIS_URL"] = redis_server.url
        print(f"started a private redis-server on {redis_server.url} (pid {redis_server.proc.pid})")  # type: ignore[union-attr]
    if not os.environ.get("HOOKS_DATABASE_URL"):
        pg = PostgresServer().start()
        started.append(pg)
        os.environ["HOOKS_DATABASE_URL"] = pg.url
        print(f"started a private PostgreSQL on 127.0.0.1:{pg.port} (pid {pg.pid}) for the history")
    upgrade(os.environ["HOOKS_DATABASE_URL"])
    return started


def _logs_fate(logs: Path, *, keep: bool) -> str:
    """Keep the logs (a failure, or --keep-logs) and say where, or remove them."""
    if keep:
        return f"logs in {logs}"
    shutil.rmtree(logs, ignore_errors=True)
    return "logs removed (--keep-logs keeps them)"


def _run(receiver: Receiver) -> bool:
    import hooks
    from hooks.signing.verify import verify

    wildcard = hooks.create_webhook(f"{receiver.url}/wildcard", ["content_types.#", "assets.*"],
                                    stack="demo", name="everything on main")  # fmt: skip
    staging = hooks.create_webhook(f"{receiver.url}/staging", ["#"], stack="demo", branches=["staging"],
                                   name="staging branch only")  # fmt: skip
    concise = hooks.create_webhook(f"{receiver.url}/concise", ["content_types.blog_post.entries.*"],
                                   stack="demo", concise=True, name="blog posts, concise")  # fmt: skip
    orders = hooks.create_webhook(f"{receiver.url}/orders", ["orders.*"], stack="demo", name="the app's orders")
    event_ids = [hooks.publish_event(t, d, stack="demo", branch="main", channels=c) for t, d, c in EVENTS]
    print(f"published {len(event_ids)} events on stack demo, branch main")
    event_ids.append(_orders_through_the_outbox())
    expected = {wildcard.id: 3, staging.id: 0, concise.id: 2, orders.id: 1}
    archived = _wait_archived(event_ids, sum(expected.values()))
    ok = archived
    for wh in (wildcard, staging, concise, orders):
        path = "/" + wh.url.rsplit("/", 1)[1]
        got = receiver.requests_to(path)
        verified = 0
        for req in got:
            try:
                verify(wh.secret, req.headers, req.body)
                verified += 1
            except hooks.ValidationError:
                pass
        types = [json.loads(r.body)["type"] for r in got]
        good = len(got) == expected[wh.id] and verified == len(got)
        ok &= good
        print(f"  {'ok ' if good else 'BAD'} {wh.name!r} ({path}): {len(got)} received (expected {expected[wh.id]}), "
              f"{verified} verified; {types}")  # fmt: skip
        if wh.concise and got:
            print(f"      concise body: {got[0].body.decode()}")
    return ok


def _orders_through_the_outbox() -> str:
    """An app's two transactions: one saves an order and its event and commits, one rolls back; returns the
    committed event's id (the relay sends it; the other was never written)."""
    import sqlite3

    from hooks import outbox

    app_db = os.environ["HOOKS_OUTBOX_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(app_db) as conn:  # commits on leaving the block
        committed = outbox.publish(conn, "orders.created", {"order": 1, "total": 42}, stack="demo")
    conn.close()
    conn = sqlite3.connect(app_db)
    outbox.publish(conn, "orders.created", {"order": 2, "total": 7}, stack="demo")
    conn.rollback()  # the app's change failed: its event goes with it
    conn.close()
    print("the app committed order 1 and rolled order 2 back, each with its event in the outbox (hooks.outbox)")
    return committed


def _wait_archived(event_ids: list[str], deliveries: int, timeout_s: float = 60) -> bool:
    """Wait until every event and delivery is in the history (PostgreSQL), and say so."""
    from hooks.history import list_deliveries, list_events
    from hooks.history.connection import get_engine

    engine = get_engine()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events = {e.id for e in list_events(engine, stack="demo", limit=100)[0]}
        done = [d for d in list_deliveries(engine, limit=100)[0] if d.event_id in events and d.status != "pending"]
        if events >= set(event_ids) and len(done) == deliveries:
            print(f"the archiver wrote {len(events)} events and {len(done)} deliveries to the history (PostgreSQL):"
                  " `hooks events` and `hooks deliveries` read them from there")  # fmt: skip
            return True
        time.sleep(0.1)
    print(f"BAD the history did not get every event and delivery within {timeout_s:.0f} s")
    return False


if __name__ == "__main__":
    sys.exit(main())
