"""The durable retry schedule: a sorted set of delivery ids scored by due time, moved to the queue atomically.

A Celery countdown would hold the task in a worker's memory and, past the broker's visibility timeout, run
it again. Here a waiting retry is one sorted-set member in Redis; `move_due` claims due members and pushes
their task messages inside one Lua script, so two schedulers never move the same retry and a crash between
claim and push cannot happen.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from config import Settings
from hooks.keys import DELIVERIES_QUEUE, Keys
from hooks.taskmsg import ARG, DELIVER_TASK, TASK_ID, message_template

# KEYS: schedule zset, deliveries queue, sequence counter. ARGV: now, limit, message template.
_MOVE_DUE_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local n = #due
if n == 0 then return 0 end
local seq = redis.call('INCRBY', KEYS[3], n) - n
local msgs = {}
for i, id in ipairs(due) do
  local tid = 'r' .. (seq + i) .. '.' .. id
  local msg = string.gsub(ARGV[3], '@@TASK_ID@@', tid)
  msg = string.gsub(msg, '@@ARG@@', id)
  msgs[i] = msg
end
for i = 1, n, 500 do
  local last = math.min(i + 499, n)
  redis.call('ZREM', KEYS[1], unpack(due, i, last))
  redis.call('LPUSH', KEYS[2], unpack(msgs, i, last))
end
return n
"""
assert TASK_ID == "@@TASK_ID@@" and ARG == "@@ARG@@"


def schedule(pipe: Any, keys: Keys, delivery_id: str, due_s: float) -> None:
    """Add (or move) a delivery to the schedule, due at Unix time `due_s`."""
    pipe.zadd(keys.retry, {delivery_id: due_s})


def move_due(client: redis.Redis, settings: Settings, *, now_s: float | None = None) -> int:
    """Move up to one batch of due retries onto the deliveries queue; returns how many moved."""
    keys = Keys(settings)
    script = client.register_script(_MOVE_DUE_LUA)
    template = message_template(DELIVER_TASK, DELIVERIES_QUEUE)
    now = time.time() if now_s is None else now_s
    return int(
        script(keys=[keys.retry, DELIVERIES_QUEUE, keys.sequence], args=[now, settings.scheduler_batch, template])
    )


def pending_count(client: redis.Redis, settings: Settings) -> int:
    """How many deliveries wait in the schedule."""
    return int(client.zcard(Keys(settings).retry))
