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
- Taken deliveries are leased (`{p}:leased`): if a worker dies, the scheduler puts expired leases back
  (`recover`, `recover.lua`), so every delivery is attempted at least once more. Nothing lives only in a worker; an event's
  fan-out happens inside one script call, so it is never half done.
"""

from __future__ import annotations

import time
from collections import Counter

import redis

from config import Settings
from hooks.store.keys import Keys
from hooks.store.kick import kick_args
from hooks.store.scripts import beside
from workers.drain.batch import Batch, Settled, send_batch

FANOUT_BUDGET = 1000  # deliveries one take call may create (a bigger fan-out goes on over several calls)
_WAKE_POLL_S = 0.25  # an idle drain re-checks at least this often, even without a wake-up call

_TAKE = beside(__file__, "take")
_RECOVER = beside(__file__, "recover")


def drain(token: str, settings: Settings, client: redis.Redis) -> str:
    """Take and do work until none is left or the time slice is over; returns a summary (Flower shows it)."""
    keys = Keys(settings)
    slice_end = time.monotonic() + settings.drain_slice_s
    idle_since: float | None = None
    done: Counter[str] = Counter()
    settled = Settled()
    while True:
        now = time.monotonic()
        mode = "end" if now >= slice_end else "take"
        if mode == "take" and idle_since is not None and now - idle_since >= settings.drain_linger_s:
            mode = "exit"
        reply = _TAKE.run(client, *kick_args(settings, time.time()), token, settings.lease_s,
                          settings.max_in_flight_per_webhook, settings.drain_batch, FANOUT_BUDGET,
                          int(settings.retention_days * 86400), settings.finished_ttl_s, mode,
                          *settled.args())  # fmt: skip
        settled.after_written(client, settings)
        settled = Settled()
        kind = reply[0]
        if kind == b"deliver":
            settled = send_batch(Batch.from_reply(reply), slice_end, settings, client)
            done.update(settled.outcomes)
            idle_since = None
        elif kind == b"fanned":
            idle_since = None
        elif kind == b"ended":
            break
        else:
            idle_since = now if idle_since is None else idle_since
            client.blpop([keys.drains_wake], timeout=_WAKE_POLL_S)
    return ", ".join(f"{n} {what}" for what, n in sorted(done.items())) or "nothing to do"


def recover(client: redis.Redis, settings: Settings, *, now_s: float | None = None) -> int:
    """Put back deliveries whose lease ran out (their drain died) and kick a drain if work waits; returns how many."""
    now = time.time() if now_s is None else now_s
    return int(_RECOVER.run(client, *kick_args(settings, now), settings.scheduler_batch))
