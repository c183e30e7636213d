"""The Reliability table (markdown) and the notes under it: what failed and why, what each fault saw."""

from __future__ import annotations

from typing import Any

HEADER = ("fault", "published", "arrived", "lost", "duplicated", "first delivery after", "all delivered after",
          "history", "survived?")  # fmt: skip


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _s(value: Any) -> str:
    return "never" if value is None else f"{value:.1f} s"


def _history(r: dict[str, Any]) -> str:
    h = r.get("history") or {}
    if "error" in h:
        return "unreadable"
    if h.get("missing") or h.get("duplicate_rows") or h.get("duplicate_attempts"):
        return f"missing {h['missing']}, twice {h['duplicate_rows']}"
    caught = (r.get("notes") or {}).get("history_caught_up_s")
    return "exactly once" + (f", caught up {caught:.1f} s" if caught is not None else "")


def cells(r: dict[str, Any]) -> tuple[str, ...]:
    """One row of the table."""
    if "skipped" in r:
        return (r["title"], "-", "-", "-", "-", "-", "-", "-", "not supported yet")
    if "error" in r and "published" not in r:
        return (r["title"], "-", "-", "-", "-", "-", "-", "-", "FAILED (run error)")
    lossy = r.get("lost") or (r.get("history") or {}).get("missing")
    verdict = "NO" if r["problems"] else "yes, loss measured" if lossy and r.get("loss_allowed") else "yes"
    return (r["title"], _n(r["published"]), _n(r["arrived"]), _n(r["lost"]), _n(r["duplicated"]),
            _s(r["first_delivery_after_s"]), _s(r["all_delivered_after_s"]), _history(r), verdict)  # fmt: skip


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown table, columns padded."""
    body = [HEADER, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |" for line in body]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def notes(rows: list[dict[str, Any]]) -> str:
    """Under the table: per row, why it failed or was skipped, and what the fault itself measured."""
    out = []
    for r in rows:
        if "skipped" in r:
            out.append(f"- {r['fault']}: skipped: {r['skipped']}")
            continue
        if "error" in r and "published" not in r:
            out.append(f"- {r['fault']}: run error: {r['error']}")
            continue
        extra = {k: v for k, v in (r.get("notes") or {}).items()}
        extra.update(publish_failures=r["publish_failures"], publish_failure_max_s=r["publish_failure_max_s"],
                     arrived_during_fault=r["arrived_during_fault"], fault_s=r["fault_s"])  # fmt: skip
        if r.get("history_missing_in_redis"):
            extra["history_missing_in_redis"] = r["history_missing_in_redis"]
        if r.get("lost"):
            extra["lost_acked_before_fault"] = r["lost_acked_before_fault"]
            extra["lost_still_in_redis"] = r.get("lost_still_in_redis")
        line = f"- {r['fault']}: " + ", ".join(f"{k} {v}" for k, v in extra.items())
        for problem in r["problems"]:
            line += f"\n    PROBLEM: {problem}"
        for name, found in (r.get("logs") or {}).items():
            line += f"\n    log {name}: {found['tracebacks']} tracebacks, {found['serious_lines']} ERROR/CRITICAL lines"
            line += "".join(f"\n      {ln[:220]}" for ln in found["first"][:2])
        out.append(line)
    return "\n".join(out)
