"""Fan-out: resolve an event's webhooks and create one delivery each, enqueued in pipelined chunks.

Delivery ids are derived from (event id, webhook id) and each chunk creates-if-absent and enqueues inside one
Lua script, so a fan-out that runs twice (a worker killed mid-way) neither duplicates nor loses a delivery.
"""

from __future__ import annotations

import logging
import time

import redis

from config import Settings
from hooks.ids import delivery_id
from hooks.keys import DELIVERIES_QUEUE, Keys
from hooks.registry import resolve
from hooks.taskmsg import DELIVER_TASK, message_template

log = logging.getLogger(__name__)

# KEYS: deliveries queue. ARGV: key prefix, now (s), retention s, event id, template, then (delivery id, webhook id)...
_CREATE_LUA = """
local p, now, ttl, ev, tpl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local msgs = {}
for i = 6, #ARGV, 2 do
  local id, wh = ARGV[i], ARGV[i + 1]
  local key = p .. ':dl:' .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'event_id', ev, 'webhook_id', wh, 'status', 'pending', 'attempts', 0,
               'round_attempts', 0, 'created_at', now, 'updated_at', now)
    redis.call('EXPIRE', key, ttl)
    redis.call('ZADD', p .. ':dl:all', now, id)
    redis.call('ZADD', p .. ':dl:by_wh:' .. wh, now, id)
    redis.call('ZADD', p .. ':dl:by_ev:' .. ev, now, id)
    redis.call('EXPIRE', p .. ':dl:by_ev:' .. ev, ttl)
    local msg = string.gsub(tpl, '@@TASK_ID@@', id)
    msg = string.gsub(msg, '@@ARG@@', id)
    msgs[#msgs + 1] = msg
  end
end
if #msgs > 0 then redis.call('LPUSH', KEYS[1], unpack(msgs)) end
return #msgs
"""


def fan_out(event_id: str, settings: Settings, client: redis.Redis) -> int:
    """Create and enqueue the deliveries of one event; returns how many were new (0 on a re-run)."""
    keys = Keys(settings)
    meta = client.hmget(keys.event(event_id), ["type", "stack", "branch", "channels"])
    if meta[0] is None:
        log.warning("fan_out: event %s is not stored (expired or never published); nothing to do", event_id)
        return 0
    event_type, stack, branch, channels = (m.decode() for m in meta)
    topics = (event_type, *(c for c in channels.split(",") if c))
    webhooks = resolve(stack, branch, topics, client=client)
    script = client.register_script(_CREATE_LUA)
    template = message_template(DELIVER_TASK, DELIVERIES_QUEUE)
    head = [keys.p, time.time(), int(settings.retention_days * 86400), event_id, template]
    created = 0
    for start in range(0, len(webhooks), settings.fanout_chunk):
        chunk = webhooks[start : start + settings.fanout_chunk]
        pairs = [x for wh in chunk for x in (delivery_id(event_id, wh.id), wh.id)]
        created += int(script(keys=[DELIVERIES_QUEUE], args=[*head, *pairs]))
    log.info("fan_out: event %s (%s) -> %d webhooks, %d new deliveries", event_id, event_type, len(webhooks), created)
    return created
