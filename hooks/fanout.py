"""Fan-out: resolve events to their webhooks and create one delivery each, ready for the drains.

Delivery ids are derived from (event id, webhook id) and creation is create-if-absent, so a fan-out that runs
twice neither duplicates nor loses a delivery. The drains fan out inside their take script, with
`CREATE_FN_LUA` and the registry's resolve functions (no round trip of their own); `fan_out_many` does the same
from Python for one-off callers (the `workers.tasks.fan_out` task, tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import redis

from config import Settings
from hooks.keys import Keys
from hooks.kick import kick_args, with_kick
from hooks.registry import resolve_ids_many

log = logging.getLogger(__name__)

# Needs the kick prelude's P and NOW. Creates-if-absent the deliveries of event `ev` to the webhooks `whs` (at
# most `budget` new ones), appends them to their webhooks' ready lists; returns (created, complete).
CREATE_FN_LUA = """
local function create_deliveries(ev, whs, budget, ttl)
  local by_ev, short_ev, created = P .. ':dl:by_ev:' .. ev, string.sub(ev, 5), 0
  for _, wh in ipairs(whs) do
    if created >= budget then return created, false end
    local id = 'msg_' .. short_ev .. '_' .. string.sub(wh, 4)
    local key = P .. ':dl:' .. id
    if redis.call('EXISTS', key) == 0 then
      redis.call('HSET', key, 'event_id', ev, 'webhook_id', wh, 'status', 'pending', 'attempts', 0,
                 'round_attempts', 0, 'created_at', NOW, 'updated_at', NOW)
      redis.call('EXPIRE', key, ttl)
      redis.call('ZADD', P .. ':dl:all', NOW, id)
      redis.call('ZADD', P .. ':dl:by_wh:' .. wh, NOW, id)
      redis.call('ZADD', by_ev, NOW, id)
      redis.call('RPUSH', P .. ':ready:' .. wh, id)
      ready(wh)
      created = created + 1
    end
  end
  if created > 0 then redis.call('EXPIRE', by_ev, ttl) end
  return created, true
end
"""

# ARGV (after the kick prelude's five): retention s, then groups of: event id, n, n webhook ids.
_CREATE_LUA = with_kick(
    CREATE_FN_LUA
    + """
local created, i = 0, 7
while i <= #ARGV do
  local n = tonumber(ARGV[i + 1])
  local whs = {}
  for k = 1, n do whs[k] = ARGV[i + 1 + k] end
  created = created + create_deliveries(ARGV[i], whs, n, ARGV[6])
  i = i + 2 + n
end
if created > 0 then kick() end
return created
"""
)


def fan_out(event_id: str, settings: Settings, client: redis.Redis) -> int:
    """Create the deliveries of one event and make them ready; returns how many were new (0 on a re-run)."""
    return fan_out_many([event_id], settings, client)


def fan_out_many(event_ids: list[str], settings: Settings, client: redis.Redis) -> int:
    """Create the deliveries of several events in a few round trips; returns how many were new."""
    keys = Keys(settings)
    with client.pipeline(transaction=False) as pipe:
        for ev in event_ids:
            pipe.hmget(keys.event(ev), ["type", "stack", "branch", "channels"])
        metas = pipe.execute()
    found: list[tuple[str, tuple[str, str, tuple[str, ...]]]] = []
    for ev, meta in zip(event_ids, metas, strict=True):
        if meta[0] is None:
            log.warning("fan_out: event %s is not stored (expired or never published); nothing to do", ev)
            continue
        event_type, stack, branch, channels = (m.decode() for m in meta)
        found.append((ev, (stack, branch, (event_type, *(c for c in channels.split(",") if c)))))
    if not found:
        return 0
    matches = resolve_ids_many(client, settings, [query for _, query in found])
    script = client.register_script(_CREATE_LUA)
    head = [*kick_args(settings, time.time()), int(settings.retention_days * 86400)]
    created = 0
    for groups in _chunks([(ev, ids) for (ev, _), ids in zip(found, matches, strict=True)], settings.fanout_chunk):
        created += int(script(keys=[], args=[*head, *groups]))
    for (ev, query), ids in zip(found, matches, strict=True):
        log.debug("fan_out: event %s (%s) -> %d webhooks", ev, query[2][0], len(ids))
    return created


def _chunks(events: list[tuple[str, list[str]]], limit: int) -> Iterator[list[Any]]:
    """Script arguments with at most `limit` deliveries per call: one event's long list is split across calls."""
    args: list[Any] = []
    size = 0
    for ev, ids in events:
        for start in range(0, max(len(ids), 1), limit):
            part = ids[start : start + limit]
            if size and size + len(part) > limit:
                yield args
                args, size = [], 0
            args += [ev, len(part), *part]
            size += len(part)
    if args:
        yield args
