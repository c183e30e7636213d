"""Redis calls per delivery by command, from a delta of `INFO commandstats` taken before and after a run.

CPU per delivery says how much Redis works; this says on what. `INFO commandstats` counts every command of every
client (workers, scheduler, archiver, producer, Celery's own), and also the commands a Lua script runs through
`redis.call` (Redis 7 counts those in their own command's line too). So `evalsha`'s usec already contains the
usec of the commands its scripts ran: the lines are a breakdown, not a sum. The scripts behind `evalsha` are not
told apart: Redis keeps no per-script counters, and MONITOR or a zero-threshold SLOWLOG would cost Redis more
than what they measure.
"""

from __future__ import annotations

from typing import Any

import redis


def snapshot(client: redis.Redis) -> dict[str, tuple[int, int]]:
    """(calls, usec) so far per command, e.g. {"evalsha": (120, 3400)}."""
    info = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"])) for name, v in info.items()}


def per_delivery(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], n: int) -> dict[str, Any]:
    """Calls and usec per delivery of each command that ran between the snapshots, most usec first.

    `total` sums every line (script calls and the commands inside them alike): a count of work, not of round trips.
    """
    rows: dict[str, dict[str, float]] = {}
    for name, (calls, usec) in after.items():
        c0, u0 = before.get(name, (0, 0))
        if calls - c0 > 0:
            rows[name] = {"calls": round((calls - c0) / n, 3), "usec": round((usec - u0) / n, 2)}
    ordered = dict(sorted(rows.items(), key=lambda kv: -kv[1]["usec"]))
    total = {"calls": round(sum(r["calls"] for r in rows.values()), 3),
             "usec": round(sum(r["usec"] for r in rows.values()), 2)}  # fmt: skip
    return {**ordered, "total": total}


def lines(label: str, stats: dict[str, Any], top: int = 20) -> list[str]:
    """A small text table of one breakdown: command, calls per delivery, usec per delivery."""
    out = [f"{label}: Redis calls and usec per delivery, by command (commands inside scripts counted too)"]
    cmds = [(k, v) for k, v in stats.items() if k != "total" and isinstance(v, dict)]
    for name, r in [*cmds[:top], ("total", stats.get("total") or {"calls": 0, "usec": 0})]:
        out.append(f"  {name:<22} {r['calls']:>8.3f} calls {r['usec']:>9.2f} usec")
    return out
