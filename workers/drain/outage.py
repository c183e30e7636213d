"""Drains wait out a Redis outage (a restart, a failover) holding their work, instead of dying with it.

A drain that died on a Redis error would hold its slot, its webhook's lane and its leases until they run out
(`HOOKS_DRAIN_SLICE_S` + the request deadlines + 10 s: 40 s by default), and new drains kicked meanwhile would
find every slot taken: deliveries would stall for the lease after Redis is back. Instead a call that fails on a
connection error is tried again at once on a fresh connection (one left from before a restart fails once), then
every 0.25 s until Redis answers or the drain's hold runs out; the drain goes on as soon as Redis is back.
Logged once per outage per process, not once per drain or per try.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis

log = logging.getLogger("workers.drain")

T = TypeVar("T")
POLL_S = 0.25
LOST = (redis.ConnectionError, redis.TimeoutError)

_lock = threading.Lock()
_since: float | None = None  # when this process's drains found Redis unavailable (None: it answers)


def ride_out(call: Callable[[], T], until: float) -> T:
    """`call()`, waiting out a Redis outage until `until` (monotonic); raises the last error past it.

    A call that failed on a dead connection did not run. One that Redis ran and died before answering (it was in
    the AOF) is run again: the take script's settle is idempotent, and the batch the lost reply carried waits for
    its lease (the scheduler's recover sends it then): at least once, as always; nothing is lost.
    """
    try:
        return call()
    except LOST:
        pass
    while True:
        try:
            result = call()
        except LOST as exc:
            if time.monotonic() + POLL_S >= until:
                raise
            _down(exc)
            time.sleep(POLL_S)
            continue
        _back()
        return result


def waited(called: float, usual_s: float) -> float:
    """How long a call begun at `called` spent waiting out an outage (0 for one that took its usual time)."""
    spent = time.monotonic() - called
    return spent if spent > 2 * POLL_S + usual_s else 0.0


def _down(exc: BaseException) -> None:
    global _since
    with _lock:
        if _since is None:
            _since = time.monotonic()
            log.warning("drains: Redis unavailable (%s); they wait for it, holding their work", type(exc).__name__)


def _back() -> None:
    global _since
    with _lock:
        if _since is not None:
            log.warning("drains: Redis answers again after %.1f s; they go on", time.monotonic() - _since)
            _since = None
