"""Waking the drains: the Lua prelude every script that makes work ready ends with.

Work (an event to fan out, a delivery to send) is made ready inside a Lua script; the same script then calls
`kick()`, which wakes an idle drain if there is one, or else starts a new drain task (a Celery message pushed on
the `deliveries` queue) while fewer than `HOOKS_DRAIN_TASKS` exist. Making work ready and making sure someone
will take it happen in one atomic step, so no work waits unseen; a drain only ends inside the script that finds
nothing left to take (hooks/drain.py), so the two never race.
"""

from __future__ import annotations

from typing import Any

from config import Settings
from hooks.keys import DELIVERIES_QUEUE, Keys
from hooks.taskmsg import ARG, DRAIN_TASK, TASK_ID, message_template

# ARGV[1..5]: key prefix, now (s), max drains, lease of a queued drain (s), the queue drains are sent to.
# A script built with `with_kick` takes its own arguments from ARGV[6] on. The drain task's message template is
# part of the script's source (sending its kilobyte with every publish measurably cost publish_event).
_PRELUDE = """
local P, NOW = ARGV[1], tonumber(ARGV[2])
local MAX_DRAINS, QUEUED_LEASE, QUEUE = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local TEMPLATE = [==[@@TEMPLATE@@]==]
local DRAINS, IDLE, WAKE = P .. ':drains', P .. ':drains:idle', P .. ':drains:wake'
local CAPPED = P .. ':capped'
-- a webhook with deliveries ready takes its turn, unless it is at its in-flight cap: then it waits in CAPPED and
-- comes back when a lane is released (the drain's settle) or runs out (drain.recover)
local function ready(wh)
  if not redis.call('ZSCORE', CAPPED, wh) then redis.call('ZADD', P .. ':ready', 'NX', NOW, wh) end
end
local function uncap(wh)
  if redis.call('ZREM', CAPPED, wh) == 1 and redis.call('EXISTS', P .. ':ready:' .. wh) == 1 then ready(wh) end
end
local function kick()
  redis.call('ZREMRANGEBYSCORE', DRAINS, '-inf', NOW)
  redis.call('ZREMRANGEBYSCORE', IDLE, '-inf', NOW)
  if redis.call('ZCARD', IDLE) > 0 then
    redis.call('RPUSH', WAKE, '1')
    redis.call('LTRIM', WAKE, -64, -1)
    return 0
  end
  if redis.call('ZCARD', DRAINS) >= MAX_DRAINS then return 0 end
  local token = 'drain.' .. redis.call('INCR', P .. ':seq')
  redis.call('ZADD', DRAINS, NOW + QUEUED_LEASE, token)
  local msg = string.gsub(TEMPLATE, '@@TASK_ID@@', token)
  msg = string.gsub(msg, '@@ARG@@', token)
  redis.call('LPUSH', QUEUE, msg)
  return 1
end
""".replace("@@TEMPLATE@@", message_template(DRAIN_TASK, DELIVERIES_QUEUE))
assert TASK_ID == "@@TASK_ID@@" and ARG == "@@ARG@@" and "]==]" not in message_template(DRAIN_TASK, DELIVERIES_QUEUE)


def with_kick(body: str) -> str:
    """A Lua script: the `kick()` prelude, then `body` (whose own arguments start at ARGV[6])."""
    return _PRELUDE + body


def kick_args(settings: Settings, now: float) -> list[Any]:
    """The five arguments the prelude reads."""
    queued_lease = max(settings.visibility_timeout_s, settings.lease_s) + settings.lease_s
    return [Keys(settings).p, now, settings.drain_tasks, queued_lease, DELIVERIES_QUEUE]
