"""Waking the drains: the arguments of the `kick` prelude (hooks/store/includes/kick.lua).

Work (an event to fan out, a delivery to send) is made ready inside a Lua script; the same script then calls
`kick()`, which wakes an idle drain if there is one, or else starts a new drain task while fewer than
`HOOKS_DRAIN_TASKS` exist. A drain only ends inside the script that finds nothing left to take
(workers/drain/take.lua), so the two never race.
"""

from __future__ import annotations

from typing import Any

from hooks.settings import Settings
from hooks.store.keys import DELIVERIES_QUEUE


def kick_options(settings: Settings, now: float) -> dict[str, Any]:
    """The prelude's named options (its `--- @options` line): prefix, now, max drains, lease of a queued drain, the
    queue; a script's own options follow them (LuaScript.run_named)."""
    queued_lease = max(settings.visibility_timeout_s, settings.lease_s) + settings.lease_s
    return {"prefix": settings.key_prefix, "now": now, "max_drains": settings.drain_tasks,
            "queued_lease": queued_lease, "queue": DELIVERIES_QUEUE}  # fmt: skip


def kick_args(settings: Settings, now: float) -> list[Any]:
    """The prelude's options as the first five ARGV, for the scripts whose own arguments are positional after them."""
    return list(kick_options(settings, now).values())
