"""The faults, one function each: it does the damage to a running stack and returns when the fault is over.

A SIGKILL of the worker, scheduler or archiver is followed at once by a restart of that very process (what a
supervisor does). For Redis restarts, failovers, the database down and a full Redis, nothing of the product is
touched: its processes must carry on by themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.faults.stack import FaultStack


@dataclass(frozen=True)
class Params:
    """How big and how long: the bench's defaults; the tests pass small ones."""

    rate: float = 300.0  # events/s
    before_s: float = 4.0  # steady load before the fault
    after_s: float = 5.0  # publishing goes on this long after the fault's end
    redis_down_s: float = 3.0  # between a Redis SIGKILL and its restart
    database_down_s: float = 60.0
    full_s: float = 8.0  # Redis full this long while publishing
    full_headroom_bytes: int = 256 * 1024  # maxmemory = what Redis uses when the fault starts + this
    recover_s: float = 75.0  # from the fault's end, at most this long for every event to arrive and be archived
    give_up_s: float = 60.0  # a publish retried this long without an acknowledgement is abandoned
    concurrency: int = 32  # worker threads, as the Procfile runs it
    env: Mapping[str, str] = field(default_factory=dict)  # for every process (tests: shorter leases)
    timed: bool = True  # the time targets (resume within N s, refusal at once) count as problems; tests: False


@dataclass
class Marks:
    """When the fault began and ended (monotonic), and what the fault itself saw."""

    start: float
    end: float
    notes: dict[str, Any] = field(default_factory=dict)


Inject = Callable[[FaultStack, Params], Marks]


@dataclass(frozen=True)
class Fault:
    """One row of the table: what is done, on which Redis, with which settings, and what counts as survived."""

    name: str
    title: str
    inject: Inject
    redis: str = "always"  # always | everysec (a DurableRedis with that appendfsync) | sentinel
    env: Mapping[str, str] = field(default_factory=dict)
    needs_min_replicas: bool = False  # the row needs HOOKS_PUBLISH_MIN_REPLICAS in the product
    loss_allowed: bool = False  # loss is measured, not a failure (everysec; Sentinel without WAIT)
    resume_slo_s: float | None = None  # first delivery at most this long after the fault's end
    chaos: float = 0.0  # share of requests the receiver answers 500 (retries that need the scheduler)
    history_exact: bool = True  # attempts stored == requests received (nothing killed mid-request, no Redis lost)

    def label(self, params: Params) -> str:
        """The row's title with its durations filled in."""
        return self.title.format(**{k: v for k, v in vars(params).items() if k != "env"})


def kill_and_restart(role: str) -> Inject:
    """SIGKILL the process, then start it again at once (a supervisor); over once the new one is ready."""

    def inject(stack: FaultStack, params: Params) -> Marks:
        start = time.monotonic()
        stack.kill(role)
        held = stack.work_in_flight()  # what the dead process held, until leases run out
        ready = stack.restart(role)
        return Marks(start, ready, {f"{role}_ready_after_kill_s": round(ready - start, 2), "at_kill": held})

    return inject


def redis_restart(stack: FaultStack, params: Params) -> Marks:
    """SIGKILL Redis, leave it down `redis_down_s`, start it again on the same port and directory (its AOF)."""
    assert stack.redis is not None
    start = time.monotonic()
    stack.redis.kill()
    time.sleep(params.redis_down_s)
    stack.redis.start()
    end = time.monotonic()
    with stack.redis_client() as client:
        leased = client.zcard(f"{stack.env['HOOKS_KEY_PREFIX']}:leased")
    return Marks(start, end, {"leased_when_back": leased})


def sentinel_failover(kill: bool) -> Inject:
    """`SENTINEL FAILOVER`, or SIGKILL of the primary; over once the sentinels agree on a new primary that takes
    writes. A killed primary is then started again (a supervisor) and rejoins as a replica."""

    def inject(stack: FaultStack, params: Params) -> Marks:
        topology = stack.topology
        assert topology is not None
        start = time.monotonic()
        old = topology.kill_primary() if kill else topology.failover()
        new = topology.wait_failover(old)
        end = time.monotonic()
        notes: dict[str, Any] = {"old_primary": old.port, "new_primary": new.port,
                                 "failover_s": round(end - start, 2)}  # fmt: skip
        if kill:
            topology.restart(old)
        else:
            topology.wait_replica(old, new, timeout_s=60)
        notes["old_primary_replica_after_s"] = round(time.monotonic() - end, 2)
        return Marks(start, end, notes)

    return inject


def database_down(stack: FaultStack, params: Params) -> Marks:
    """Stop PostgreSQL (fast shutdown) for `database_down_s`, then start it again with its data."""
    start = time.monotonic()
    stack.pg.halt()
    time.sleep(params.database_down_s)
    stack.pg.start()
    return Marks(start, time.monotonic())


def redis_full(stack: FaultStack, params: Params) -> Marks:
    """`maxmemory` just above what Redis uses (noeviction) for `full_s` while events keep coming, then raised."""
    with stack.redis_client() as client:
        used = int(client.info("memory")["used_memory"])
        limit = used + params.full_headroom_bytes
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", limit)
        start = time.monotonic()
        peak = _watch_memory(client, until=start + params.full_s)
        client.config_set("maxmemory", 0)
    return Marks(start, time.monotonic(), {"used_before": used, "maxmemory": limit, "used_peak": peak})


def _watch_memory(client: Any, until: float) -> int:
    peak = 0
    while time.monotonic() < until:
        peak = max(peak, int(client.info("memory")["used_memory"]))
        time.sleep(0.2)
    return peak


MIN_REPLICAS = {"HOOKS_PUBLISH_MIN_REPLICAS": "1"}
REDIS_LOST = {
    "history_exact": False
}  # a take whose reply died with Redis: its batch is sent again, maybe recorded once
SENTINEL: dict[str, Any] = {"redis": "sentinel", "resume_slo_s": 10.0, **REDIS_LOST}

# fmt: off
FAULTS: tuple[Fault, ...] = (
    # a killed drain's last requests reached the receiver but their attempts were never recorded: not exact
    Fault("worker_kill", "worker SIGKILL, restarted", kill_and_restart("worker"), history_exact=False),
    Fault("scheduler_kill", "scheduler SIGKILL, restarted (5% of requests answered 500)",
          kill_and_restart("scheduler"), chaos=0.05),
    Fault("archiver_kill", "archiver SIGKILL, restarted", kill_and_restart("archiver")),
    Fault("redis_always", "Redis SIGKILL, restarted after {redis_down_s:g} s, appendfsync always", redis_restart, resume_slo_s=5.0,
          history_exact=False),
    Fault("redis_everysec", "Redis SIGKILL, restarted after {redis_down_s:g} s, appendfsync everysec", redis_restart, redis="everysec",
          loss_allowed=True, resume_slo_s=5.0, history_exact=False),
    Fault("sentinel_failover", "Sentinel: SENTINEL FAILOVER", sentinel_failover(kill=False), loss_allowed=True,
          **SENTINEL),
    Fault("sentinel_failover_min1", "Sentinel: SENTINEL FAILOVER, min replicas 1", sentinel_failover(kill=False),
          env=MIN_REPLICAS, needs_min_replicas=True, **SENTINEL),
    Fault("sentinel_kill", "Sentinel: primary SIGKILL", sentinel_failover(kill=True), loss_allowed=True, **SENTINEL),
    Fault("sentinel_kill_min1", "Sentinel: primary SIGKILL, min replicas 1", sentinel_failover(kill=True),
          env=MIN_REPLICAS, needs_min_replicas=True, **SENTINEL),
    Fault("database_down", "database down {database_down_s:g} s (PostgreSQL stopped)", database_down),
    Fault("redis_full", "Redis full {full_s:g} s (maxmemory, noeviction)", redis_full, history_exact=False),
)
# fmt: on
BY_NAME = {f.name: f for f in FAULTS}
