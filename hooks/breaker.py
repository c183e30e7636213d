"""Per-webhook isolation: the circuit breaker and the cap on requests in flight.

Closed: deliveries flow, each failure adds to a count. After `HOOKS_BREAKER_THRESHOLD` consecutive failures the
breaker opens: deliveries that arrive wait in the webhook's waiting set (no attempt spent, no worker held).
When the cool-down ends the scheduler sends the oldest waiting delivery as the one probe. A success closes the
breaker and releases everything that waited, oldest first; a failure re-opens it for twice as long (up to
`HOOKS_BREAKER_MAX_COOLDOWN_S`). A webhook failing without a success for `HOOKS_DISABLE_AFTER_FAILING_S` is
disabled. The drains (hooks/drain.py) read the state when they take work: they park deliveries while the
breaker is open, take one as the probe when the cool-down is over, and give a failing webhook a single lane.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis

from config import Settings
from hooks.keys import Keys
from hooks.webhooks import Webhook

log = logging.getLogger(__name__)

# Needs `P` (key prefix) and `NOW`. Closes a webhook's breaker and releases its waiting deliveries, oldest first,
# onto the retry schedule (due now); returns how many. The drains' take script calls it after a success.
CLOSE_FN_LUA = """
local function close_breaker(wh)
  local state, waiting = P .. ':wh:state:' .. wh, P .. ':wh:waiting:' .. wh
  redis.call('DEL', state)
  redis.call('HSET', state, 'last_success_at', NOW)
  redis.call('ZREM', P .. ':breakers', wh)
  local ids = redis.call('ZRANGE', waiting, 0, -1)
  for i = 1, #ids, 500 do
    local args = {}
    for j = i, math.min(i + 499, #ids) do
      args[#args + 1] = NOW + j * 0.000001
      args[#args + 1] = ids[j]
    end
    redis.call('ZADD', P .. ':retry', unpack(args))
  end
  redis.call('DEL', waiting)
  return #ids
end
"""

# ARGV: key prefix, now, webhook id.
_CLOSE_LUA = "local P, NOW = ARGV[1], tonumber(ARGV[2])\n" + CLOSE_FN_LUA + "return close_breaker(ARGV[3])\n"

# KEYS: state, breakers. ARGV: webhook id, now, threshold, base cool-down, max cool-down.
# Returns {failures, first_failure_at, opened (0/1)}.
_FAIL_LUA = """
local now = tonumber(ARGV[2])
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local first = tonumber(redis.call('HGET', KEYS[1], 'first_failure_at') or '0')
if first == 0 then first = now; redis.call('HSET', KEYS[1], 'first_failure_at', now) end
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
local probing = tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0') > 0
local opened = 0
if failures >= tonumber(ARGV[3]) and (open_until == 0 or probing) then
  local cooldown = tonumber(ARGV[4])
  if probing then
    cooldown = math.min(tonumber(redis.call('HGET', KEYS[1], 'cooldown_s') or ARGV[4]) * 2, tonumber(ARGV[5]))
  end
  redis.call('HSET', KEYS[1], 'open_until', now + cooldown, 'cooldown_s', cooldown, 'opened_at', now, 'probe_until', 0)
  redis.call('ZADD', KEYS[2], now + cooldown, ARGV[1])
  opened = 1
end
return {failures, tostring(first), opened}
"""

# KEYS: breakers, retry. ARGV: now, prefix. For each breaker whose cool-down is over, the oldest waiting
# delivery is scheduled now as the probe. Returns how many probes were released.
_PROBE_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
local n = 0
for _, wh in ipairs(due) do
  local waiting = ARGV[2] .. ':wh:waiting:' .. wh
  local first = redis.call('ZRANGE', waiting, 0, 0)
  redis.call('ZREM', KEYS[1], wh)
  if #first > 0 then
    redis.call('ZREM', waiting, first[1])
    redis.call('ZADD', KEYS[2], ARGV[1], first[1])
    n = n + 1
  end
end
return n
"""


def observe(client: redis.Redis, settings: Settings, webhook: Webhook, ok: bool) -> None:
    """Feed one attempt's result to the breaker; may close it, open it, or disable the webhook."""
    keys = Keys(settings)
    now = time.time()
    if ok:
        state = client.hget(keys.webhook_state(webhook.id), "failures")
        if state is not None:
            client.register_script(_CLOSE_LUA)(keys=[], args=[keys.p, now, webhook.id])
        return
    failures, first, opened = client.register_script(_FAIL_LUA)(
        keys=[keys.webhook_state(webhook.id), keys.breakers],
        args=[
            webhook.id,
            now,
            settings.breaker_threshold,
            settings.breaker_cooldown_s,
            settings.breaker_max_cooldown_s,
        ],
    )
    if opened:
        log.warning("breaker: webhook %s opened after %s consecutive failures", webhook.id, failures)
    if now - float(first) >= settings.disable_after_failing_s:
        disable(
            client,
            settings,
            webhook,
            f"failing without a success since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(float(first)))}",
        )


def release_probes(client: redis.Redis, settings: Settings) -> int:
    """Schedule one probe for every webhook whose cool-down is over; returns how many."""
    keys = Keys(settings)
    return int(client.register_script(_PROBE_LUA)(keys=[keys.breakers, keys.retry], args=[time.time(), keys.p]))


def reset(client: redis.Redis, settings: Settings, webhook_id: str) -> int:
    """Close a webhook's breaker and release its waiting deliveries; returns how many were released."""
    keys = Keys(settings)
    return int(client.register_script(_CLOSE_LUA)(keys=[], args=[keys.p, time.time(), webhook_id]))


def state(client: redis.Redis, settings: Settings, webhook_id: str) -> dict[str, Any]:
    """The breaker as people read it: closed / open / half-open, failures, times, waiting deliveries."""
    keys = Keys(settings)
    with client.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.webhook_state(webhook_id))
        pipe.zcard(keys.waiting(webhook_id))
        pipe.zcount(keys.inflight(webhook_id), time.time(), "+inf")
        raw, waiting, inflight = pipe.execute()
    st = {k.decode(): v.decode() for k, v in raw.items()}
    open_until = float(st.get("open_until") or 0)
    probing = float(st.get("probe_until") or 0) > time.time()
    name = "closed" if open_until == 0 else ("half-open" if probing or open_until <= time.time() else "open")
    return {
        "state": name,
        "consecutive_failures": int(st.get("failures") or 0),
        "open_until": open_until or None,
        "cooldown_s": float(st["cooldown_s"]) if st.get("cooldown_s") else None,
        "failing_since": float(st["first_failure_at"]) if st.get("first_failure_at") else None,
        "last_success_at": float(st["last_success_at"]) if st.get("last_success_at") else None,
        "waiting_deliveries": int(waiting),
        "in_flight": int(inflight or 0),
    }


def disable(client: redis.Redis, settings: Settings, webhook: Webhook, reason: str) -> None:
    """Disable a webhook for a reason and tell the operators through a `hooks.webhook.disabled` event."""
    from hooks.notify import notify_disabled
    from hooks.registry import disable_webhook, get_webhook

    if not get_webhook(webhook.id).enabled:
        return  # another worker got there first: one announcement is enough
    current = disable_webhook(webhook.id, reason)
    log.warning("webhook %s disabled: %s", webhook.id, reason)
    notify_disabled(current, reason)
