"""The durable retry schedule: a sorted set of delivery ids scored by due time, made ready atomically.

A Celery countdown would hold the task in a worker's memory and, past the broker's visibility timeout, run
it again. Here a waiting retry is one sorted-set member in Redis; `move_due` claims due members, appends them
to their webhooks' ready lists and kicks a drain inside one Lua script (`move_due.lua`), so two schedulers
never move the same retry and a crash between claim and push cannot happen.
"""

from __future__ import annotations

import time

import redis

from hooks.settings import Settings
from hooks.store.keys import Keys
from hooks.store.kick import kick_args
from hooks.store.scripts import beside

_MOVE_DUE = beside(__file__, "move_due")


def move_due(client: redis.Redis, settings: Settings, *, now_s: float | None = None) -> int:
    """Make up to one batch of due retries ready (and kick a drain); returns how many moved."""
    now = time.time() if now_s is None else now_s
    return int(_MOVE_DUE.run(client, *kick_args(settings, now), settings.scheduler_batch))


def pending_count(client: redis.Redis, settings: Settings) -> int:
    """How many deliveries wait in the schedule."""
    return int(client.zcard(Keys(settings).retry))
