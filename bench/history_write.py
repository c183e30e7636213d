"""How fast the history takes records, and how much room a delivery takes: `python -m bench.history_write`.

Starts a private PostgreSQL (hooks.local.postgres), migrates it, then writes `--records` records in batches of
`--batch` through `hooks.history.writer.write_batch` (a record: one event, one delivery, one attempt; a 1 KiB
body). Prints records/s and PostgreSQL bytes per delivery (all three tables' partitions, indexes and TOAST
included). `--strategy` compares the shipped path (COPY into a staging table, then INSERT ... SELECT ... ON
CONFLICT) with one INSERT ... SELECT FROM unnest(arrays) per table and with psycopg's pipelined executemany.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hooks.ids import delivery_id, new_event_id, new_webhook_id
from psycopg.types.json import Jsonb
from sqlalchemy import Engine, text

from hooks.history import writer
from hooks.history.db import make_engine, upgrade
from hooks.history.records import AttemptRecord, DeliveryRecord, EventRecord
from hooks.local.postgres import PostgresServer

Batch = tuple[list[EventRecord], list[DeliveryRecord], list[AttemptRecord]]

HEADERS = {
    "content-type": "application/json",
    "user-agent": "hooks-webhooks/0.1",
    "webhook-id": "",
    "webhook-timestamp": "1764633600",
    "webhook-signature": "[redacted]",
    "authorization": "[redacted]",
    "x-custom": "blog",
}


def body_of(size_b: int) -> str:
    """A JSON body of about `size_b` bytes, like an entry publish."""
    return json.dumps({"event": "entry.publish", "data": {"title": "x" * max(size_b - 60, 0), "version": 3}})


def make_batch(n: int, webhooks: list[str], body: str) -> Batch:
    """`n` records: n events, each with one delivery (delivered on its first attempt) and that attempt."""
    now = time.time()
    events, deliveries, attempts = [], [], []
    for i in range(n):
        event_id, webhook_id = new_event_id(), webhooks[i % len(webhooks)]
        msg = delivery_id(event_id, webhook_id)
        events.append(EventRecord(id=event_id, type="entry.publish", stack="blog", branch="main",
                                  channels=["entries", "entries.publish"], body=body))  # fmt: skip
        deliveries.append(DeliveryRecord(id=msg, event_id=event_id, webhook_id=webhook_id, stack="blog",
                                         status="delivered", created_at=now, updated_at=now + 0.05, attempts=1,
                                         round_attempts=1, last_status=200))  # fmt: skip
        attempts.append(AttemptRecord(delivery_id=msg, attempt=1, event_id=event_id, webhook_id=webhook_id,
                                      started_at=now, duration_ms=12.5, outcome="delivered", status_code=200,
                                      address="127.0.0.1", response='{"ok":true}',
                                      request_headers={**HEADERS, "webhook-id": msg}))  # fmt: skip
    return events, deliveries, attempts


def write_unnest(engine: Engine, batch: Batch) -> None:
    """The same rows as one INSERT ... SELECT FROM unnest(<an array per column>) per table."""
    with engine.begin() as conn, writer._raw(conn).cursor() as cur:
        for target, rows in zip(writer.TARGETS, writer.staged_rows(*batch), strict=True):
            # an array of arrays would flatten, and jsonb[] wants Jsonb wrappers: both travel as text
            sent = {"text[]": "text", "jsonb": "text"}
            arrays = ", ".join(f"%s::{sent.get(kind, kind)}[]" for _, kind in target.staged)
            names = ", ".join(name for name, _ in target.staged)
            casts = ", ".join(f"{name}::{kind}" for name, kind in target.staged)
            columns = [list(c) for c in zip(*rows, strict=True)]
            for n, (_, kind) in enumerate(target.staged):
                if kind == "text[]":
                    columns[n] = ["{" + ",".join(f'"{v}"' for v in value) + "}" for value in columns[n]]
                elif kind == "jsonb":
                    columns[n] = [json.dumps(v) for v in columns[n]]
            cur.execute(target.insert_from(f"(SELECT {casts} FROM unnest({arrays}) AS v({names}))"), columns)


def write_executemany(engine: Engine, batch: Batch) -> None:
    """The same rows through psycopg's executemany (pipelined since psycopg 3.1): one VALUES row per statement."""
    with engine.begin() as conn, writer._raw(conn).cursor() as cur:
        for target, rows in zip(writer.TARGETS, writer.staged_rows(*batch), strict=True):
            values = ", ".join(f"%s::{kind}" for _, kind in target.staged)
            params = [[Jsonb(v) if isinstance(v, dict) else v for v in row] for row in rows]
            cur.executemany(target.insert_from(f"(VALUES ({values}))"), params)


STRATEGIES: dict[str, Callable[[Engine, Batch], Any]] = {
    "copy": lambda engine, batch: writer.write_batch(engine, *batch),
    "unnest": write_unnest,
    "executemany": write_executemany,
}


def batches(total: int, size: int, webhooks: list[str], body: str) -> list[Batch]:
    """The records to write, made ahead of the clock so that making them is not timed."""
    return [make_batch(min(size, total - done), webhooks, body) for done in range(0, total, size)]


def later_state(batch: Batch) -> Batch:
    """The same deliveries a moment later, failed once more: each delivery's new state and its second attempt."""
    _, deliveries, attempts = batch
    newer = [replace(d, status="pending", attempts=2, updated_at=d.updated_at + 5, last_status=503) for d in deliveries]
    second = [replace(a, attempt=2, outcome="retry", status_code=503, next_delay_s=25.0) for a in attempts]
    return [], newer, second


def second_attempts(engine: Engine, write: Callable[[Engine, Batch], Any], todo: list[Batch]) -> None:
    """Write every delivery's later state (an update of a stored row) and its second attempt; print the rate."""
    count = sum(len(b[1]) for b in todo)
    t0 = time.perf_counter()
    for batch in todo:
        write(engine, batch)
    elapsed_s = time.perf_counter() - t0
    size_b, _ = bytes_per_delivery(engine)
    print(
        f"second attempts (delivery updated + attempt inserted): {count / elapsed_s:,.0f} records/s, "
        f"postgres={size_b / count:,.0f} bytes/delivery with two attempts each"
    )


def bytes_per_delivery(engine: Engine) -> tuple[int, int]:
    """The bytes of every history partition (with indexes and TOAST) and the number of deliveries."""
    with engine.connect() as conn:
        size = conn.execute(text(
            "SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname IN ('events', 'deliveries', 'attempts')"
        )).scalar_one()  # fmt: skip
        count = conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
    return int(size), int(count)


def run(args: argparse.Namespace) -> None:
    """Start PostgreSQL, write, print the figures, stop it."""
    server = PostgresServer().start()
    try:
        engine = make_engine(server.url)
        upgrade(engine)
        webhooks = [new_webhook_id() for _ in range(args.webhooks)]
        write = STRATEGIES[args.strategy]
        writer.write_batch(engine, *make_batch(10, webhooks, body_of(args.body_b)))  # partitions made, pool warm
        todo = batches(args.records, args.batch, webhooks, body_of(args.body_b))
        todo_again = [later_state(b) for b in todo] if args.second_attempts else []
        cpu0, t0 = os.times(), time.perf_counter()
        for batch in todo:
            write(engine, batch)
        elapsed_s, cpu1 = time.perf_counter() - t0, os.times()
        size_b, count = bytes_per_delivery(engine)
        client_cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        print(f"strategy={args.strategy} records={args.records} batch={args.batch} body={args.body_b}B "
              f"elapsed={elapsed_s:.2f}s rate={args.records / elapsed_s:,.0f} records/s "
              f"client_cpu={client_cpu_s / args.records * 1e6:.0f}us/record "
              f"postgres={size_b / count:,.0f} bytes/delivery ({count:,} deliveries, {size_b / 2**20:,.1f} MiB)")  # fmt: skip
        if args.second_attempts:
            second_attempts(engine, write, todo_again)
        engine.dispose()
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=100)
    parser.add_argument("--body-b", type=int, default=1024)
    parser.add_argument("--strategy", choices=sorted(STRATEGIES), default="copy")
    parser.add_argument("--second-attempts", action="store_true", help="then update every delivery once more")
    run(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
