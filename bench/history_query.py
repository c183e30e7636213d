"""How fast the history answers with 10,000,000 deliveries in it: `python -m bench.history_query`.

Starts a private PostgreSQL (hooks.local.postgres), migrates it, makes 30 day partitions and fills `deliveries`
with generate_series, one day per statement (10,000 webhooks, 1% in the dead-letter queue), runs ANALYZE, then
times through hooks.history.queries: the first page of one webhook's deliveries, the first page of the DLQ, the
first page of one webhook's DLQ and a second page by cursor, each over a few hundred random webhooks (p50, p99).
Then the same first pages as the `hooks` command reads them (merged with deliveries in flight in a private Redis).
Last, the time to drop the oldest day's partitions with `drop_expired`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, text

from hooks.history.db import make_engine, upgrade
from hooks.history.partitions import drop_expired, ensure_partitions
from hooks.history.queries import get_delivery, list_dead, list_deliveries
from hooks.history.times import as_datetime, day_of, day_start, to_seconds
from hooks.local.postgres import PostgresServer

START_S = 1_793_577_600.0  # 2026-11-02 00:00 UTC

# One day of deliveries: ids shaped like the real ones (msg_<26>_<26>, the first 10 digits the event's time in ms,
# so lookups by id find their partition), event times spread over the day, webhook `wh_<n>` padded to 26 digits,
# 90% delivered, 9% pending, 1% failed and in the dead-letter queue.
CROCKFORD_MS = " || ".join(
    f"substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> {5 * (9 - k)}) & 31)::int + 1, 1)" for k in range(10)
)
FILL_DAY = f"""
INSERT INTO deliveries (id, event_at, event_id, webhook_id, stack, status, attempts, round_attempts, replays,
                        created_at, updated_at, next_attempt_at, last_status, last_error, reason, dead_lettered_at,
                        in_dlq)
SELECT 'msg_' || ev || '_' || wh, at, 'evt_' || ev, 'wh_' || wh, 'stack' || (w % 50),
       CASE WHEN dead THEN 'failed' WHEN i % 11 = 0 THEN 'pending' ELSE 'delivered' END,
       CASE WHEN dead THEN 8 ELSE 1 END, CASE WHEN dead THEN 8 ELSE 1 END, 0,
       at, at + interval '1 second', NULL, CASE WHEN dead THEN 503 ELSE 200 END,
       CASE WHEN dead THEN 'HTTP 503' END, CASE WHEN dead THEN 'attempts exhausted' END,
       CASE WHEN dead THEN at + (i % 7200) * interval '1 second' END, dead
FROM (
    SELECT i, w, to_timestamp(ms / 1000.0) AS at, i % 100 = 0 AS dead,
           {CROCKFORD_MS} || upper(substr(md5(:seed || i::text), 1, 16)) AS ev, lpad(w::text, 26, '0') AS wh
    FROM (SELECT i, (hashint4(i + :seed) & 2147483647) % :webhooks AS w, :day_ms + i * 86400000::bigint / :n AS ms
          FROM generate_series(0, :n - 1) AS i) AS g
) AS s
"""


def fill(engine: Engine, days: int, per_day: int, webhooks: int) -> float:
    """Make the partitions and fill `days` days of `per_day` deliveries; returns the seconds it took."""
    t0 = time.perf_counter()
    first = day_of(START_S)
    with engine.begin() as conn:
        ensure_partitions(conn, [first + timedelta(days=n) for n in range(days)])
    for n in range(days):
        day_ms = round(to_seconds(day_start(first + timedelta(days=n))) * 1000)  # type: ignore[operator]
        with engine.begin() as conn:
            conn.execute(text(FILL_DAY), {"day_ms": day_ms, "n": per_day, "seed": n * 7919, "webhooks": webhooks})
        print(f"  day {n + 1}/{days} filled ({time.perf_counter() - t0:.0f}s)", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE deliveries"))
    return time.perf_counter() - t0


def timed(samples: int, call: Callable[[], object]) -> tuple[float, float, float]:
    """p50, p99 and max in milliseconds of `samples` calls."""
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], times[-1]


def report(name: str, figures: tuple[float, float, float]) -> None:
    """Print one query's figures."""
    p50, p99, worst = figures
    print(f"{name:<44} p50={p50:6.2f} ms  p99={p99:6.2f} ms  max={worst:6.2f} ms")


def measure(engine: Engine, webhooks: int, samples: int) -> None:
    """Time the listings over random webhooks."""
    rng = random.Random(7)

    def webhook() -> str:
        return "wh_" + str(rng.randrange(webhooks)).rjust(26, "0")

    def second_dead_page() -> None:
        _, cursor = list_dead(engine, limit=50)
        list_dead(engine, limit=50, cursor=cursor)

    def second_webhook_page() -> None:
        chosen = webhook()
        _, cursor = list_deliveries(engine, webhook_id=chosen, limit=50)
        list_deliveries(engine, webhook_id=chosen, limit=50, cursor=cursor)

    report(
        "list_deliveries(webhook_id) first page", timed(samples, lambda: list_deliveries(engine, webhook_id=webhook()))
    )
    report("list_deliveries(webhook_id) pages 1+2", timed(samples, second_webhook_page))
    report("list_deliveries() first page", timed(samples, lambda: list_deliveries(engine)))
    report("list_dead() first page", timed(samples, lambda: list_dead(engine)))
    report("list_dead() pages 1+2", timed(samples, second_dead_page))
    report("list_dead(webhook_id) first page", timed(samples, lambda: list_dead(engine, webhook_id=webhook())))
    with engine.connect() as conn:
        ids = conn.execute(
            text("SELECT id FROM deliveries TABLESAMPLE SYSTEM (1) ORDER BY random() LIMIT :n"), {"n": samples}
        )
        sample = list(ids.scalars().all())
    picks = iter(sample * 2)
    report("get_delivery(id) with its attempts", timed(len(sample), lambda: get_delivery(engine, next(picks))))
    show_plan(engine, "list_deliveries(webhook_id)", "webhook_id = :w ORDER BY event_at DESC, id DESC", webhook())
    show_plan(engine, "list_dead()", "in_dlq ORDER BY dead_lettered_at DESC, id DESC", None)


def show_plan(engine: Engine, name: str, where_order: str, webhook_id: str | None) -> None:
    """Print the first lines of a listing's plan, as run (which index, how many partitions read)."""
    with engine.connect() as conn:
        plan = conn.execute(text(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM deliveries WHERE " + where_order
            + " LIMIT 51"), {"w": webhook_id}).scalars().all()  # fmt: skip
    print(f"plan of {name}:\n  " + "\n  ".join(plan[:6]) + "\n  ...")


def measure_operator_reads(server_url: str, webhooks: int, samples: int) -> None:
    """Time what `hooks deliveries --webhook ID` and `hooks dlq list` call: the reads that merge the deliveries in
    flight in Redis (a private redis-server, 20 in flight per webhook asked about) with the history."""
    import os

    from hooks.deliveries.dlq import list_dead as operator_dead
    from hooks.deliveries.query import list_deliveries as operator_deliveries
    from hooks.local.servers import RedisServer
    from hooks.models.ids import new_event_id
    from hooks.settings import reset_settings
    from hooks.store.connection import close_all, get_redis

    redis_server = RedisServer().start()
    try:
        os.environ.update({"REDIS_URL": redis_server.url, "HOOKS_DATABASE_URL": server_url})
        reset_settings(None)
        close_all()
        rng = random.Random(11)
        chosen = ["wh_" + str(rng.randrange(webhooks)).rjust(26, "0") for _ in range(samples)]
        _in_flight(get_redis(), chosen, new_event_id)
        picks = iter(chosen * 2)
        report("hooks deliveries --webhook (Redis + history)",
               timed(samples, lambda: operator_deliveries(webhook_id=next(picks), limit=50)))  # fmt: skip
        report("hooks dlq list (history)", timed(samples, lambda: operator_dead(limit=50)))
    finally:
        redis_server.stop()


def _in_flight(client: object, webhook_ids: list[str], new_event_id: Callable[[], str]) -> None:
    """20 pending deliveries in Redis per webhook, indexed as the fan-out indexes them."""
    now = time.time()
    pipe = client.pipeline(transaction=False)  # type: ignore[attr-defined]
    for wh in set(webhook_ids):
        for _ in range(20):
            ev = new_event_id()
            d = f"msg_{ev[4:]}_{wh[3:]}"
            pipe.hset(f"hooks:dl:{d}", mapping={"event_id": ev, "webhook_id": wh, "status": "pending",
                                                "attempts": 0, "round_attempts": 0, "created_at": now,
                                                "updated_at": now})  # fmt: skip
            pipe.zadd(f"hooks:dl:by_wh:{wh}", {d: 0})
    pipe.execute()


def measure_drop(engine: Engine, days: int) -> None:
    """Time dropping the oldest day's partitions (all three tables) at the 30-day retention mark."""
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_total_relation_size(:p)"), {"p": f"deliveries_p{day_of(START_S):%Y%m%d}"})
        day_bytes = int(size.scalar_one())
        total = conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
    now = as_datetime(START_S) + timedelta(days=days, hours=1)  # one hour past a whole retention window
    t0 = time.perf_counter()
    with engine.begin() as conn:
        dropped = drop_expired(conn, now, retention_days=days - 1)
    elapsed_ms = (time.perf_counter() - t0) * 1000
    print(f"drop_expired: dropped {dropped} ({day_bytes / 2**20:,.0f} MiB of deliveries) in {elapsed_ms:.1f} ms "
          f"(table had {total:,} deliveries)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, start PostgreSQL, fill, measure, stop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args(argv)
    settings = {"shared_buffers": "1GB", "maintenance_work_mem": "512MB", "max_wal_size": "8GB",
                "checkpoint_timeout": "30min", "autovacuum": "off"}  # fmt: skip
    server = PostgresServer(settings=settings).start()
    try:
        engine = make_engine(server.url)
        upgrade(engine)
        print(f"filling {args.deliveries:,} deliveries over {args.days} days, {args.webhooks:,} webhooks ...")
        fill_s = fill(engine, args.days, args.deliveries // args.days, args.webhooks)
        with engine.connect() as conn:
            size = conn.execute(text("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                                     "WHERE inhparent = 'deliveries'::regclass")).scalar_one()  # fmt: skip
        print(f"filled in {fill_s:.0f}s; deliveries take {int(size) / 2**30:.2f} GiB with their indexes")
        measure(engine, args.webhooks, args.samples)
        measure_operator_reads(server.url, args.webhooks, args.samples)
        measure_drop(engine, args.days)
        engine.dispose()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
