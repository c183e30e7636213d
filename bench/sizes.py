"""How big each scenario is: the full run (the issue's numbers) and `--quick` (tiny, for the test suite)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """Counts and durations of every scenario."""

    throughput_n: int = 20_000
    baseline_throughput_n: int = 3_000  # its rate is steady long before; three runs must fit in 10 minutes
    baseline_prefork_n: int = 600  # Celery's default pool, 2 processes: about 20/s against a slow receiver, more here
    payload_b: int = 1024
    latency_s: float = 5.0
    latency_warmup_s: float = 1.0  # the same load first, reported apart: freshly started workers, a new webhook
    fanout_n: int = 10_000
    isolation_s: float = 5.0
    isolation_drain_s: float = 4.0
    backlog_n: int = 1_000_000
    baseline_backlog_n: int = 10_000  # countdown tasks sent one by one: ~3,000/s
    matching_webhooks: int = 100_000
    matching_stacks: int = 1000
    matching_lookups: int = 2000
    publish_n: int = 5000
    publish_batch_total: int = 50_000
    publish_batch_size: int = 1000
    scaling_n: int = 6000  # 1 KB to 2 workers takes about 2 s: long enough for a ratio
    baseline_scaling_n: int = 1200
    ordered_n: int = 2000  # one request at a time
    history_n: int = 200_000  # finished deliveries measured for Redis memory (--history-n 1000000 for the target's)
    archive_n: int = 50_000  # records the archiver catches up with
    rate_s: float = 10.0  # scenario 11: the window each rate is measured over, after its warm-up
    rate_warmup_s: float = 2.0  # the bucket's first burst and the drains settling in, left out of the window
    rate_free_n: int = 15_000  # events to the unlimited neighbour, alone and beside the limited webhook (~4 s)
    rate_threads: int = 8  # worker threads sending (0: the stack's, reusing the running workers)
    singles_n: int = 20_000  # scenario 12: one publish_event per event, from one thread, then split over four


FULL = Sizes()
QUICK = Sizes(
    throughput_n=300,
    baseline_throughput_n=300,
    latency_s=2.0,
    latency_warmup_s=0.5,
    fanout_n=200,
    isolation_s=2.0,
    isolation_drain_s=2.0,
    backlog_n=10_000,
    baseline_backlog_n=1000,
    matching_webhooks=2000,
    matching_stacks=20,
    matching_lookups=200,
    publish_n=300,
    publish_batch_total=2000,
    publish_batch_size=500,
    scaling_n=200,
    baseline_scaling_n=200,
    baseline_prefork_n=100,
    ordered_n=100,
    history_n=2000,
    archive_n=1000,
    rate_s=0.5,
    rate_warmup_s=0.3,
    rate_free_n=100,
    rate_threads=0,
    singles_n=300,
)
