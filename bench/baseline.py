"""The baseline: webhooks the way a user writes them with Celery and no library (NOT the product).

One task per delivery carrying the URL and the payload, `requests.post`, and `self.retry(countdown=2 ** n)`
on any failure, with `acks_late`. Its own Celery app and queue on the same Redis. The worker runs with the same
pool, concurrency and flags as ours, so only the delivery machinery differs. The one concession to fairness: a
15 s timeout on the POST (the same total deadline as ours); without it a dead endpoint would hold a thread forever.

Worker: `python -m celery -A bench.baseline worker -Q bench_baseline -P threads -c N ...` with `REDIS_URL` set.
"""

from __future__ import annotations

import os
import sys
import time

import requests
from celery import Celery

QUEUE = "bench_baseline"

app = Celery("bench_baseline", broker=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(
    task_acks_late=True,
    task_ignore_result=True,
    task_default_queue=QUEUE,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    # as in the product: enough connections for the threads (kombu's default of 10 loses acks, see design.md)
    broker_transport_options={"max_connections": int(os.environ.get("BENCH_CONCURRENCY", "32")) * 2 + 10},
)


@app.task(bind=True, acks_late=True, max_retries=8, name="bench.baseline.deliver")
def deliver(self, url: str, body: str) -> int:  # type: ignore[no-untyped-def]
    """POST one payload; on failure retry after 2**retries seconds."""
    try:
        resp = requests.post(url, data=body.encode(), headers={"Content-Type": "application/json"}, timeout=15)
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise self.retry(exc=exc, countdown=2**self.request.retries) from None
    return resp.status_code


def use_broker(url: str) -> None:
    """Point the producer side of the baseline (in the benchmark process) at this Redis."""
    app.conf.broker_url = url


def publish(url: str, body: str, countdown: float | None = None) -> None:
    """What the user's producer does per (event, webhook)."""
    deliver.apply_async((url, body), countdown=countdown)


def worker_args(*, concurrency: int, events: bool, name: str = "baseline", pool: str = "threads") -> list[str]:
    """The baseline worker's command: the same pool and flags as the product's worker (or Celery's default pool,
    `prefork`, with one process per core, as a user who changes nothing runs it)."""
    args = [sys.executable, "-m", "celery", "-A", "bench.baseline", "worker", "-Q", QUEUE, "-P", pool,
            "-c", str(concurrency), "--prefetch-multiplier", "1", "-O", "fair", "--without-gossip",
            "--without-mingle", "-n", f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h", "--loglevel", "INFO"]  # fmt: skip
    return [*args, "-E"] if events else args
