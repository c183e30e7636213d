"""A webhook's health as operators see it: its circuit breaker's state, and resetting it.

The breaker itself (counting failures, opening, probing) runs in the workers (workers/breaker/); enabling a
webhook and `hooks webhook show` need only this part.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from hooks.settings import Settings
from hooks.store.keys import Keys
from hooks.store.scripts import beside

_RESET = beside(__file__, "reset_breaker")
_PROBE = beside(__file__, "probe_now")


def reset(client: redis.Redis, settings: Settings, webhook_id: str) -> int:
    """Close a webhook's breaker and release its waiting deliveries; returns how many were released."""
    keys = Keys(settings)
    return int(_RESET.run(client, keys.p, time.time(), webhook_id))


def probe_now(client: redis.Redis, settings: Settings, webhook_id: str) -> bool:
    """End an open breaker's cool-down now: the next delivery is the probe. False when the breaker is closed."""
    return bool(_PROBE.run(client, Keys(settings).p, time.time(), webhook_id))


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
        "opened_at": float(st["opened_at"]) if st.get("opened_at") else None,
        "last_success_at": float(st["last_success_at"]) if st.get("last_success_at") else None,
        "waiting_deliveries": int(waiting),
        "in_flight": int(inflight or 0),
    }
