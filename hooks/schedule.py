"""The durable retry schedule: a sorted set of delivery ids scored by due time, made ready atomically.

A Celery countdown would hold the task in a worker's memory and, past the broker's visibility timeout, run
it again. Here a waiting retry is one sorted-set member in Redis; `move_due` claims due members, appends them
to their webhooks' ready lists and kicks a drain inside one Lua script, so two schedulers never move the same
retry and a crash between claim and push cannot happen.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from config import Settings
from hooks.keys import Keys
from hooks.kick import kick_args, with_kick

# ARGV (after the kick prelude's five): limit. A delivery id is msg_<event>_<webhook>: the webhook is derived.
_MOVE_DUE_LUA = with_kick("""
local retry = P .. ':retry'
local due = redis.call('ZRANGEBYSCORE', retry, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[6]))
if #due == 0 then return 0 end
for i = 1, #due, 500 do
  redis.call('ZREM', retry, unpack(due, i, math.min(i + 499, #due)))
end
for _, id in ipairs(due) do
  local wh = 'wh_' .. string.match(id, '^msg_[^_]+_(.+)$')
  redis.call('RPUSH', P .. ':ready:' .. wh, id)
  ready(wh)
end
kick()
return #due
""")


def schedule(pipe: Any, keys: Keys, delivery_id: str, due_s: float) -> None:
    """Add (or move) a delivery to the schedule, due at Unix time `due_s`."""
    pipe.zadd(keys.retry, {delivery_id: due_s})


def move_due(client: redis.Redis, settings: Settings, *, now_s: float | None = None) -> int:
    """Make up to one batch of due retries ready (and kick a drain); returns how many moved."""
    script = client.register_script(_MOVE_DUE_LUA)
    now = time.time() if now_s is None else now_s
    return int(script(keys=[], args=[*kick_args(settings, now), settings.scheduler_batch]))


def pending_count(client: redis.Redis, settings: Settings) -> int:
    """How many deliveries wait in the schedule."""
    return int(client.zcard(Keys(settings).retry))
