"""Drains: the worker tasks that fan events out and send deliveries, a batch at a time, fairly and safely.

A Celery task per delivery costs about a millisecond of CPU before it does anything, and each of its steps is
a Redis round trip; that, not Redis or the endpoint, is what limits a hand-rolled webhook task. A drain is one
Celery task that keeps taking work until there is none (then it lingers briefly and ends) or its time slice is
over (then it hands over to a fresh task at the back of the queue):

- `take` (one Lua call, `take.lua`) first fans out waiting events inside Redis (resolve, create deliveries), then gives it up
  to `HOOKS_DRAIN_BATCH` deliveries of ONE webhook, the one whose turn it is (webhooks with ready work are served
  round-robin), with the webhook, the delivery records and the bodies: no second round trip to load them.
- Each webhook has at most `HOOKS_MAX_IN_FLIGHT_PER_WEBHOOK` drains sending to it at once (lanes, leases in
  `{p}:inflight:{id}`); a webhook gets one lane until it has answered with a success (slow start) and again
  while it is failing, and an open breaker parks its deliveries (no attempt spent, no worker held). So a dead
  endpoint, new or old, holds one worker thread. A webhook at its cap leaves the turns (`{p}:capped`) until a
  lane is released or runs out, so takes and wake-ups are never spent on it.
- The batch is POSTed in order over the thread's kept-alive connection. Its records (attempt log, new state,
  retry or dead-letter entry, lease and lane released) are written by the drain's next take script, so a
  drain makes one Redis call per batch. The first failure ends the batch (the rest go back to the front of the
  webhook's list) and is fed to the breaker before that next take.
- A webhook with `rate_limit_per_s` has a token bucket in Redis (`{p}:bucket:{id}`), refilled and spent inside
  the take script, so every worker shares it at no extra round trip: a take gives it at most the tokens it has;
  out of them, it waits in `{p}:rated_wait` until the next token is due (no attempt spent, the breaker not told),
  and the first take after that (or the one idle drain timed to wake then) serves it. `{p}:capped` is un-parked
  by the scheduler's recover only, with the dead drain's leases, so an ordered webhook's order holds.
- Taken deliveries are leased (`{p}:leased`): if a worker dies, the scheduler puts expired leases back
  (`recover`, `recover.lua`), so every delivery is attempted at least once more. Nothing lives only in a worker; an event's
  fan-out happens inside one script call, so it is never half done.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from hooks.settings import Settings
from hooks.store.keys import Keys
from hooks.store.kick import kick_args, kick_options
from hooks.store.scripts import beside, call_own
from workers.drain.batch import Batch, Settled, send_batch
from workers.drain.outage import LOST, ride_out, waited

log = logging.getLogger(__name__)
T = TypeVar("T")

FANOUT_BUDGET = 1000  # deliveries one take call may create (a bigger fan-out goes on over several calls)
_WAKE_POLL_S = 0.25  # an idle drain re-checks at least this often, even without a wake-up call

# set when the worker shuts down (workers/app.py): every drain ends at its next turn, handing its work over to a
# fresh drain task (on another worker, or this one restarted), so a warm shutdown waits one batch, not a slice
stopping = threading.Event()

_TAKE = beside(__file__, "take")
_RECOVER = beside(__file__, "recover")


def drain(token: str, settings: Settings, client: redis.Redis) -> str:
    """Take and do work until none is left or the time slice is over; returns a summary (Flower shows it)."""
    return Drain(token, settings, client).run()


class Drain:
    """One drain task's loop: one take call per turn, a batch sent between turns, Redis outages waited out."""

    def __init__(self, token: str, settings: Settings, client: redis.Redis) -> None:
        self.token, self.settings, self.client = token, settings, client
        self.slice_end = time.monotonic() + settings.drain_slice_s
        self.held_until = time.monotonic() + settings.lease_s  # our slot, lanes and leases stay ours till then
        self.idle_since: float | None = None
        self.done: Counter[str] = Counter()
        self.settled = Settled()
        self.wake_key = Keys(settings).drains_wake

    def run(self) -> str:
        """Turns until the take script says the drain has ended; a summary of what was done."""
        try:
            while self.turn():
                pass
        except LOST as exc:  # down past our hold: the scheduler's recover puts our work back
            log.warning("drain %s: Redis unavailable past its lease (%s); its work goes back through recover",
                        self.token, type(exc).__name__)  # fmt: skip
            self.done["abandoned"] += 1
        return ", ".join(f"{n} {what}" for what, n in sorted(self.done.items())) or "nothing to do"

    def turn(self) -> bool:
        """One take call, then what its reply says; False once the drain has ended."""
        now = time.monotonic()
        mode = "end" if now >= self.slice_end or stopping.is_set() else "take"
        if mode == "take" and self.idle_since is not None and now - self.idle_since >= self.settings.drain_linger_s:
            mode = "exit"
        reply = self._call(functools.partial(self._take, mode, self.settled), 0.0)
        self.held_until = time.monotonic() + self.settings.lease_s - self.settings.publish_timeout_s - 1
        self.settled.after_written(self.client, self.settings)
        self.settled = Settled()
        kind = reply[0]
        if kind == b"deliver":
            self.settled = send_batch(Batch.from_reply(reply), self.slice_end, self.settings, self.client)
            self.done.update(self.settled.outcomes)
            self.idle_since = None
        elif kind == b"fanned":
            self.idle_since = None
        elif kind == b"ended":
            return False
        else:
            self.idle_since = now if self.idle_since is None else self.idle_since
            # a rated webhook's next token due sooner than the poll: this drain wakes for it
            wait_s = min(float(reply[1]), _WAKE_POLL_S) if len(reply) > 1 else _WAKE_POLL_S
            wake = functools.partial(call_own, self.client, "BLPOP", self.wake_key, wait_s)
            self._call(wake, wait_s)
        return True

    def _call(self, call: Callable[[], T], usual_s: float) -> T:
        """A Redis call that waits out an outage; the slice grows by the time waited (the drain was not working)."""
        called = time.monotonic()
        result = ride_out(call, self.held_until)
        self.slice_end += waited(called, usual_s)
        return result

    def _take(self, mode: str, settled: Settled) -> Any:
        s = self.settings
        return _TAKE.run_named(self.client, take_options(s, self.token, mode, settled), *settled.tail())


def take_options(
    settings: Settings, token: str, mode: str, settled: Settled, *, now: float | None = None, **overrides: Any
) -> dict[str, Any]:
    """The take script's named options (take.lua's header): the kick prelude's, the drain's and the settled batch's;
    `overrides` replace settings' values (tests)."""
    s = settings
    return {**kick_options(s, time.time() if now is None else now), "token": token, "lease": s.lease_s,
            "cap": s.max_in_flight_per_webhook, "batch": s.drain_batch, "budget": FANOUT_BUDGET,
            "retention": int(s.retention_days * 86400), "finished_ttl": s.finished_ttl_s, "mode": mode,
            **settled.options(), **overrides}  # fmt: skip


def recover(client: redis.Redis, settings: Settings, *, now_s: float | None = None) -> int:
    """Put back deliveries whose lease ran out (their drain died) and kick a drain if work waits; returns how many."""
    now = time.time() if now_s is None else now_s
    return int(_RECOVER.run(client, *kick_args(settings, now), settings.scheduler_batch))
