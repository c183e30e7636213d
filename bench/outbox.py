"""`python -m bench.outbox`: the outbox's figures, each beside the direct `publish_event` path in the same run.

    .venv/bin/python -m bench.outbox            # full: 50,000-event backlog, 10 s at 500 commits/s, 30 s idle
    .venv/bin/python -m bench.outbox --quick    # the same code on small numbers (the test suite runs it)

It starts a private redis-server and PostgreSQL (hooks.local), migrates an outbox database, and measures:
1. relay throughput: a backlog committed in one transaction, one `hooks relay` process drains it to Redis
   (events/s from the commit to an empty outbox); baseline: `publish_events` in batches of 500 from one thread.
2. commit-to-Redis latency: one event per transaction at 500/s; an observer pops the fan-out list and times each
   event from the start of its commit to its arrival in Redis; baseline: `publish_event` at the same rate, timed
   from the call.
3. an idle relay's CPU (% of one core) on PostgreSQL (LISTEN) and on SQLite (polled).
4. the cost of `hooks.outbox.publish` inside a transaction: its statements, and p50 against a plain INSERT of the
   same row and against `publish_event`.
No worker runs: events stay in Redis's fan-out list, where the observer finds them. Targets: 10,000 events/s,
p99 <= 50 ms, idle < 1% of a core, one INSERT. Prints a table and writes bench/results/outbox-<UTC>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, event, text

from bench.procs import cpu_s, tree_cpu_s
from hooks import outbox
from hooks.local.postgres import PostgresServer
from hooks.local.processes import relay_args, start_process, stop_process
from hooks.local.servers import RedisServer
from hooks.outbox.schema import make_outbox_engine, migrate
from hooks.outbox.write import row_of
from hooks.producer.publish import publish_event, publish_events
from hooks.settings import Settings, reset_settings
from hooks.store.connection import close_all
from hooks.store.keys import Keys

RESULTS = Path(__file__).resolve().parent / "results"
DATA = {"entry": {"uid": "blt0123456789", "title": "x" * 900, "locale": "en-us"}}  # about 1 KB serialized


def main(argv: list[str] | None = None) -> int:
    """Run every measurement on private servers and print the table; returns 1 if a target is missed."""
    args = _parser().parse_args(argv)
    n, seconds, idle_s = (2000, 2.0, 5.0) if args.quick else (args.backlog, args.seconds, args.idle_s)
    logs = Path(tempfile.mkdtemp(prefix="hooks-bench-outbox-"))
    redis_server, pg = RedisServer().start(), PostgresServer().start()
    try:
        env = {**os.environ, "REDIS_URL": redis_server.url, "HOOKS_OUTBOX_URL": pg.url, "HOOKS_KEY_PREFIX": "bench"}
        settings = Settings.from_env(env)
        reset_settings(settings)
        close_all()
        engine = make_outbox_engine(pg.url)
        migrate(engine)
        bench = Bench(settings, env, engine, logs)
        bench.pids = {"redis": redis_server.proc.pid if redis_server.proc else 0, "postgres": pg.pid or 0}
        figures = {
            "throughput": bench.throughput(n),
            "latency": bench.latency(rate=500, seconds=seconds),
            "idle": bench.idle(idle_s, sqlite_url=f"sqlite:///{logs / 'app.db'}"),
            "cost": bench.cost(2000 if not args.quick else 300),
        }
    finally:
        redis_server.stop()
        pg.stop()
    return _report(figures, quick=args.quick, out=Path(args.out) if args.out else RESULTS)


class Bench:
    """The measurements, on one Redis and one outbox database."""

    def __init__(self, settings: Settings, env: dict[str, str], engine: Engine, logs: Path) -> None:
        self.settings, self.env, self.engine, self.logs = settings, env, engine, logs
        self.client = redis.Redis.from_url(settings.redis_url)
        self.fanout = Keys(settings).fanout
        self.pids: dict[str, int] = {}

    def throughput(self, n: int) -> dict[str, float]:
        """Events/s the relay moves from a committed backlog, and `publish_events` in batches of 500."""
        items = [{"event_type": "bench.backlog", "data": {**DATA, "n": i}} for i in range(n)]
        self._clear()
        started = time.perf_counter()
        for i in range(0, n, 500):
            publish_events(items[i : i + 500])
        direct = n / (time.perf_counter() - started)
        self._clear()
        relay = self._relay("throughput")
        try:
            with self.engine.begin() as conn:
                outbox.publish_many(conn, items)
                before = self._cpu(relay.pid)
                committed = time.perf_counter()
            while self.client.llen(self.fanout) < n:
                time.sleep(0.005)
            seconds = time.perf_counter() - committed
            used = {k: v - before[k] for k, v in self._cpu(relay.pid).items()}
        finally:
            stop_process(relay)
        assert self._empty(), "the outbox is not empty after the relay drained it"
        return {
            "events": n,
            "relay_events_per_s": round(n / seconds),
            "direct_events_per_s": round(direct),
            **{f"{k}_cpu_ms_per_event": round(v * 1000 / n, 4) for k, v in used.items()},
        }

    def _cpu(self, relay_pid: int) -> dict[str, float]:
        return {
            "relay": cpu_s(relay_pid),
            "redis": cpu_s(self.pids["redis"]),
            "postgres": tree_cpu_s(self.pids["postgres"]),
        }

    def latency(self, *, rate: int, seconds: float) -> dict[str, float]:
        """p50/p99/max ms from commit to Redis at `rate` commits/s, one event each; and publish_event's."""
        relay = self._relay("latency")
        try:
            through = self._paced(rate, seconds, self._commit_one)
        finally:
            stop_process(relay)
        direct = self._paced(rate, seconds, lambda i: publish_event("bench.paced", {**DATA, "n": i}))
        return {
            "rate_per_s": rate,
            "events": len(through),
            **_percentiles("outbox", through),
            **_percentiles("direct", direct),
        }

    def idle(self, seconds: float, *, sqlite_url: str) -> dict[str, float]:
        """% of one core an idle relay uses, on PostgreSQL (LISTEN) and on SQLite (a look every 0.5 s)."""
        sqlite = make_outbox_engine(sqlite_url)
        migrate(sqlite)
        out = {}
        for name, url in (("postgresql", None), ("sqlite", sqlite_url)):
            relay = self._relay(f"idle-{name}", url)
            try:
                time.sleep(1.0)  # past its start-up
                before, at = cpu_s(relay.pid), time.perf_counter()
                time.sleep(seconds)
                out[f"{name}_core_percent"] = round(100 * (cpu_s(relay.pid) - before) / (time.perf_counter() - at), 3)
            finally:
                stop_process(relay)
        return {"seconds": seconds, **out}

    def cost(self, n: int) -> dict[str, float]:
        """Statements and p50 us of `outbox.publish` in a transaction, a plain INSERT of the row, `publish_event`."""
        statements: list[str] = []
        timings: dict[str, list[float]] = {"outbox_publish": [], "plain_insert": [], "publish_event": []}
        with self.engine.connect() as conn:
            event.listen(conn, "before_cursor_execute", lambda *a: statements.append(a[2]))
            for i in range(n):
                with conn.begin():
                    conn.execute(text("SELECT 1"))  # the app's own statement: the transaction has begun
                    start = time.perf_counter()
                    outbox.publish(conn, "bench.cost", {**DATA, "n": i})
                    timings["outbox_publish"].append(time.perf_counter() - start)
                    row = row_of(_built(i))
                    start = time.perf_counter()
                    conn.execute(outbox.metadata.tables["hooks_outbox"].insert(), row)
                    timings["plain_insert"].append(time.perf_counter() - start)
            inserts = sum(1 for s in statements if s.lstrip().upper().startswith("INSERT"))
        for i in range(n):
            start = time.perf_counter()
            publish_event("bench.cost", {**DATA, "n": i})
            timings["publish_event"].append(time.perf_counter() - start)
        self._clear()
        return {
            "statements_per_publish": inserts / (2 * n),
            **{f"{k}_p50_us": round(statistics.median(v) * 1e6, 1) for k, v in timings.items()},
        }

    def _commit_one(self, i: int) -> None:
        with self.engine.begin() as conn:
            outbox.publish(conn, "bench.paced", {**DATA, "n": i})

    def _paced(self, rate: int, seconds: float, send: Any) -> list[float]:
        """Call `send(i)` `rate` times a second for `seconds`; ms from each call's start to its event in Redis."""
        self._clear()
        total, sent_at, arrived = int(rate * seconds), {}, {}
        observer = threading.Thread(target=self._observe, args=(total, arrived), daemon=True)
        observer.start()
        origin = time.perf_counter()
        for i in range(total):
            time.sleep(max(0.0, origin + i / rate - time.perf_counter()))
            sent_at[i] = time.perf_counter()
            send(i)
        observer.join(timeout=60)
        return [(arrived[i] - sent_at[i]) * 1000 for i in range(total) if i in arrived]

    def _observe(self, total: int, arrived: dict[int, float]) -> None:
        client = redis.Redis.from_url(self.settings.redis_url)
        events = Keys(self.settings).event
        while len(arrived) < total:
            popped = client.blpop([self.fanout], timeout=10)
            if popped is None:
                return
            at = time.perf_counter()
            body = client.hget(events(popped[1].decode()), "body")
            arrived[json.loads(body)["data"]["n"]] = at

    def _relay(self, name: str, url: str | None = None) -> Any:
        log = self.logs / f"relay-{name}.log"
        env = {**self.env, **({"HOOKS_OUTBOX_URL": url} if url else {})}
        proc = start_process(relay_args(), env, log)
        deadline = time.monotonic() + 30
        while "relay started" not in (log.read_text() if log.exists() else ""):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the relay did not start: {log.read_text()[-2000:] if log.exists() else ''}")
            time.sleep(0.05)
        return proc

    def _clear(self) -> None:
        self.client.flushdb()
        with self.engine.begin() as conn:
            conn.execute(text("TRUNCATE hooks_outbox, hooks_outbox_failed"))

    def _empty(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM hooks_outbox")).scalar_one() == 0


def _built(i: int) -> Any:
    from hooks.models.event import build_event

    return build_event("bench.cost", {**DATA, "n": i}, max_bytes=256 * 1024)


def _percentiles(name: str, ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    if not ordered:
        return {f"{name}_p50_ms": float("nan")}
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        f"{name}_p50_ms": round(at(0.5), 2),
        f"{name}_p99_ms": round(at(0.99), 2),
        f"{name}_max_ms": round(ordered[-1], 2),
        f"{name}_arrived": len(ordered),
    }


def _report(fig: dict[str, Any], *, quick: bool, out: Path) -> int:
    t, lat, idle, cost = fig["throughput"], fig["latency"], fig["idle"], fig["cost"]
    rows = [
        (f"relay throughput (events/s, backlog of {t['events']})", t["relay_events_per_s"],
         t["direct_events_per_s"], ">= 10,000", t["relay_events_per_s"] >= 10_000),
        (f"commit-to-Redis p99 (ms, {lat['rate_per_s']}/s one per transaction)", lat.get("outbox_p99_ms"),
         lat.get("direct_p99_ms"), "<= 50", (lat.get("outbox_p99_ms") or 1e9) <= 50),
        ("commit-to-Redis p50 (ms)", lat.get("outbox_p50_ms"), lat.get("direct_p50_ms"), "", None),
        ("idle relay, PostgreSQL (% of a core)", idle["postgresql_core_percent"], "", "< 1", idle["postgresql_core_percent"] < 1),
        ("idle relay, SQLite (% of a core)", idle["sqlite_core_percent"], "", "< 1", idle["sqlite_core_percent"] < 1),
        ("statements per outbox.publish", cost["statements_per_publish"], "", "1 INSERT", cost["statements_per_publish"] == 1),
        ("outbox.publish p50 (us) / plain INSERT", cost["outbox_publish_p50_us"], cost["plain_insert_p50_us"], "", None),
        ("publish_event p50 (us, to Redis)", cost["publish_event_p50_us"], "", "", None),
    ]  # fmt: skip
    print(f"\n{'figure':<52} {'outbox':>10} {'direct':>10}  {'target':<10} met")
    for name, ours, base, target, met in rows:
        print(f"{name:<52} {ours!s:>10} {base!s:>10}  {target:<10} {'' if met is None else 'yes' if met else 'NO'}")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"outbox-{stamp}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps({"figures": fig, "quick": quick, "cores": os.cpu_count()}, indent=2))
    print(f"\nwrote {path}")
    return 0 if quick or all(met is not False for *_, met in rows) else 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.outbox", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small numbers, under a minute (the tests run this)")
    p.add_argument("--backlog", type=int, default=50_000, help="events in the relay's backlog (default 50,000)")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds of paced commits (default 10)")
    p.add_argument("--idle-s", type=float, default=30.0, help="seconds an idle relay is watched (default 30)")
    p.add_argument("--out", help="directory for the JSON (default bench/results)")
    return p


if __name__ == "__main__":
    raise SystemExit(main())
