"""From what the publisher acknowledged, what the receiver got and what the history holds, to one row's figures.

- published: events whose `publish_event` returned (acknowledged); failed calls are counted apart
- arrived: distinct events with a 2xx delivery; lost: acknowledged and never arrived; duplicated: arrived twice+
- first_delivery_after_s: from the fault's end to the first delivery after it
- all_delivered_after_s: from the fault's end until every event acknowledged before it had arrived
- history: the deliveries table holds every delivered delivery exactly once (and each attempt once)
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

from sqlalchemy import text

from bench.faults.faults import Fault, Marks
from bench.faults.load import Publisher, Tally
from bench.faults.stack import FaultStack

DEAD_WAIT_S = 5.0  # how long to wait for more once a process of the product has died: the row failed anyway


def wait_delivered(tally: Tally, publisher: Publisher, stack: FaultStack, deadline: float) -> float:
    """Poll until every acknowledged event arrived, until `deadline` (monotonic), or `DEAD_WAIT_S` without
    arrivals once a process of the product has died; returns the monotonic time it stopped waiting."""
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        tally.update()
        if not tally.missing(publisher.acked):
            break
        count = len(tally.all_times())
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif stack.dead() and time.monotonic() - last_change > DEAD_WAIT_S:
            break
        time.sleep(0.2)
    return time.monotonic()


def history_state(database_url: str) -> dict[str, Any]:
    """Rows of the fault's history: delivered deliveries (ids), duplicates, attempts, events."""
    from hooks.history.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM deliveries WHERE status = 'delivered'"))]
            dup_rows = conn.execute(text("SELECT count(*) - count(DISTINCT id) FROM deliveries")).scalar_one()
            attempts = conn.execute(text("SELECT count(*) FROM attempts")).scalar_one()
            dup_attempts = conn.execute(text(
                "SELECT count(*) - count(DISTINCT (delivery_id, attempt)) FROM attempts")).scalar_one()  # fmt: skip
            events = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    except Exception as exc:  # noqa: BLE001 - the database may still be starting: reported, polled again
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    finally:
        engine.dispose()
    return {"delivered_ids": set(ids), "duplicate_rows": int(dup_rows), "attempts": int(attempts),
            "duplicate_attempts": int(dup_attempts), "events": int(events)}  # fmt: skip


def wait_history(stack: FaultStack, tally: Tally, since: float, deadline: float) -> dict[str, Any]:
    """Poll until the history holds every delivery that arrived, until `deadline` (monotonic; once only when a
    process has died: the row failed, this is a look); returns what it holds."""
    wanted = set(tally.webhook_ids)
    if stack.dead():
        deadline = 0.0
    while True:
        state = history_state(stack.database_url)
        complete = "error" not in state and wanted <= state["delivered_ids"]
        if complete or time.monotonic() > deadline:
            state["complete_after_s"] = round(time.monotonic() - since, 2) if complete else None
            return state
        time.sleep(0.5)


def row(fault: Fault, pub: Publisher, tally: Tally, marks: Marks, history: dict[str, Any], stack: FaultStack,
        *, timed: bool = True) -> dict[str, Any]:  # fmt: skip
    """The row's figures, the problems found (a failure if any; `timed`: the time targets too) and the evidence."""
    times = tally.all_times()
    lost = tally.missing(pub.acked)
    duplicated = sorted(s for s, t in tally.arrivals.items() if len(t) > 1)
    after = [t for t in times if t >= marks.end]
    backlog = [s for s, (_, at) in pub.acked.items() if at <= marks.end]
    arrivals_of_backlog = [tally.first_arrival(s) for s in backlog]
    all_after = (max(0.0, max(a for a in arrivals_of_backlog if a is not None) - marks.end)  # type: ignore[type-var]
                 if backlog and None not in arrivals_of_backlog else None)  # fmt: skip
    failures = pub.failures
    out: dict[str, Any] = {
        "fault": fault.name, "title": fault.title, "loss_allowed": fault.loss_allowed,
        "published": len(pub.acked), "publish_attempted": pub.attempted, "publish_failures": len(failures),
        "publish_failure_max_s": round(max((f.took_s for f in failures), default=0.0), 3),
        "publish_errors_sample": sorted({f.message for f in failures})[:3], "publish_abandoned": len(pub.abandoned),
        "publish_unexpected": pub.unexpected[:3],
        "arrived": len(tally.arrivals), "requests": tally.requests,
        "lost": len(lost), "lost_acked_before_fault": sum(1 for s in lost if pub.acked[s][1] < marks.start),
        "lost_sample": lost[:10], "duplicated": len(duplicated),
        "extra_deliveries": sum(len(t) - 1 for t in tally.arrivals.values()),
        "unacked_but_arrived": len(set(tally.arrivals) - set(pub.acked)),
        "fault_s": round(marks.end - marks.start, 2),
        "arrived_during_fault": sum(1 for t in times if marks.start <= t < marks.end),
        "first_delivery_after_s": round(after[0] - marks.end, 2) if after else None,
        "all_delivered_after_s": round(all_after, 2) if all_after is not None else None,
        "latency_after_fault_ms": _latency_ms(pub, tally, marks.end),
        "history": _history_summary(history, tally),
        "notes": marks.notes,
        "processes_dead": stack.dead(),
        "logs": scan_logs(stack.logs()),
    }  # fmt: skip
    if lost:
        out["lost_still_in_redis"] = _still_in_redis(stack, [pub.acked[s][0] for s in lost[:50]])
    if "delivered_ids" in history and (unarchived := sorted(set(tally.webhook_ids) - history["delivered_ids"])):
        out["history_missing_in_redis"] = _delivery_states(stack, unarchived[:10])
    out["problems"] = problems(fault, out, history, timed=timed)
    return out


def _latency_ms(pub: Publisher, tally: Tally, since: float) -> dict[str, float] | None:
    lat = sorted((a - at) * 1000 for s, (_, at) in pub.acked.items() if at >= since
                 and (a := tally.first_arrival(s)) is not None)  # fmt: skip
    if len(lat) < 2:
        return None
    return {"p50": round(statistics.median(lat), 1), "p99": round(lat[int(len(lat) * 0.99) - 1], 1)}


def _history_summary(history: dict[str, Any], tally: Tally) -> dict[str, Any]:
    if "error" in history:
        return {"error": history["error"]}
    wanted = set(tally.webhook_ids)
    return {"delivered_rows": len(history["delivered_ids"]), "missing": len(wanted - history["delivered_ids"]),
            "not_received": len(history["delivered_ids"] - wanted), "duplicate_rows": history["duplicate_rows"],
            "attempts": history["attempts"], "requests_received": tally.requests,
            "duplicate_attempts": history["duplicate_attempts"], "events": history["events"],
            "complete_after_s": history["complete_after_s"]}  # fmt: skip


def _still_in_redis(stack: FaultStack, event_ids: list[str]) -> dict[str, int] | str:
    """Of some lost events: how many Redis still holds (stuck) and how many it lost (gone)."""
    prefix = stack.env["HOOKS_KEY_PREFIX"]
    try:
        with stack.redis_client() as client:
            held = sum(bool(client.exists(f"{prefix}:ev:{e}")) for e in event_ids)
    except Exception as exc:  # noqa: BLE001
        return f"unknown ({type(exc).__name__})"
    return {"checked": len(event_ids), "still_in_redis": held, "gone": len(event_ids) - held}


def _delivery_states(stack: FaultStack, delivery_ids: list[str]) -> dict[str, Any] | str:
    """Where some deliveries stand in Redis (those the history misses): status, lease left, in the stream."""
    p = stack.env["HOOKS_KEY_PREFIX"]
    try:
        with stack.redis_client() as client:
            now = time.time()
            out: dict[str, Any] = {}
            for d in delivery_ids:
                lease = client.zscore(f"{p}:leased", d)
                out[d] = {"status": (client.hget(f"{p}:dl:{d}", "status") or b"-").decode(),
                          "lease_left_s": None if lease is None else round(lease - now, 1)}  # fmt: skip
            out["stream_entries"] = client.xlen(f"{p}:history")
            return out
    except Exception as exc:  # noqa: BLE001
        return f"unknown ({type(exc).__name__})"


def scan_logs(logs: dict[str, str]) -> dict[str, Any]:
    """Per log: tracebacks, CRITICAL/ERROR lines, and the first traceback's last lines (the evidence)."""
    out: dict[str, Any] = {}
    for name, body in logs.items():
        tracebacks = body.count("Traceback (most recent call last)")
        serious = [ln for ln in body.splitlines() if re.search(r"\b(CRITICAL|ERROR)\b|Unrecoverable", ln)]
        if not (tracebacks or serious):
            continue
        entry: dict[str, Any] = {"tracebacks": tracebacks, "serious_lines": len(serious), "first": serious[:3]}
        if tracebacks:
            start = body.index("Traceback (most recent call last)")
            entry["first_traceback"] = "\n".join(body[start:].splitlines()[:40])[-2500:]
        out[name] = entry
    return out


def problems(fault: Fault, fig: dict[str, Any], history: dict[str, Any], *, timed: bool = True) -> list[str]:
    """What makes the row a failure (empty: survived). Untimed (the tests), the time targets are left to the bench."""
    found = [f"the {role} exited by itself (code {code})" for role, code in fig["processes_dead"].items()]
    if fig["publish_unexpected"]:
        found.append(f"publish_event raised something else than PublishError: {fig['publish_unexpected'][0]}")
    if fig["publish_abandoned"]:
        found.append(f"{fig['publish_abandoned']} publishes never acknowledged")
    if fig["lost"] and not fault.loss_allowed:
        found.append(f"{fig['lost']} acknowledged events never arrived")
    if fig["first_delivery_after_s"] is None:
        found.append("no delivery after the fault")
    elif timed and fault.resume_slo_s is not None and fig["first_delivery_after_s"] > fault.resume_slo_s:
        found.append(f"first delivery {fig['first_delivery_after_s']} s after the fault (> {fault.resume_slo_s} s)")
    found += _history_problems(fault, fig["history"])
    if fault.name == "redis_full":
        found += _full_problems(fig, timed=timed)
    return found


def _history_problems(fault: Fault, h: dict[str, Any]) -> list[str]:
    if "error" in h:
        return [f"history unreadable: {h['error']}"]
    found = []
    if h["missing"] and not fault.loss_allowed:  # allowed: their records were writes the lost primary held
        found.append(f"history misses {h['missing']} delivered deliveries")
    if h["duplicate_rows"] or h["duplicate_attempts"]:
        found.append(f"history holds {h['duplicate_rows']} deliveries and {h['duplicate_attempts']} attempts twice")
    if fault.history_exact and h["attempts"] != h["requests_received"]:
        found.append(f"history holds {h['attempts']} attempts for {h['requests_received']} requests received")
    return found


def _full_problems(fig: dict[str, Any], *, timed: bool) -> list[str]:
    found = []
    if not fig["publish_failures"]:
        found.append("no publish failed: Redis never filled up")
    elif timed and fig["publish_failure_max_s"] > 1.0:
        found.append(f"a refused publish took {fig['publish_failure_max_s']} s (not at once)")
    if fig["publish_failures"] and not any("memory" in m.lower() for m in fig["publish_errors_sample"]):
        found.append(f"PublishError does not say Redis is out of memory: {fig['publish_errors_sample'][0]!r}")
    if not fig["arrived_during_fault"]:
        found.append("no delivery while Redis was full (drains stopped)")
    return found
