"""Figures to a table and JSON: the median over runs, each target checked, written under bench/results/."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

Row = tuple[str, str, Any, Any, str, bool | None]


def median_of(runs: list[Any]) -> Any:
    """Leaf-wise median of same-shaped nested dicts; non-numbers and missing values come from the first run."""
    first = runs[0]
    if isinstance(first, dict):
        return {k: median_of([r[k] for r in runs if isinstance(r, dict) and k in r]) for k in first}
    nums = [r for r in runs if isinstance(r, (int, float)) and not isinstance(r, bool)]
    if nums and len(nums) == len(runs):
        m = statistics.median(nums)
        return round(m, 3) if isinstance(m, float) else m
    return first


def _get(d: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def _check(value: Any, test: Callable[[float], bool]) -> bool | None:
    return None if value is None else bool(test(value))


def rows(fig: dict[str, Any]) -> list[Row]:
    """The README table: (scenario, metric, ours, baseline, target, met?)."""
    g = lambda p: _get(fig, p)  # noqa: E731 - a short local accessor
    out: list[Row] = []
    for tag, label in (("events_off", "events off"), ("events_on", "events on (-E)")):
        ours, base = g(f"throughput.ours_{tag}.deliveries_per_s"), g(f"throughput.baseline_{tag}.deliveries_per_s")
        met = None if ours is None or not base else ours >= 5 * base
        out.append(("1 throughput", f"deliveries/s, {label}", ours, base, ">= 5x baseline", met))
    out += _throughput_rows(g)
    out += _singles_rows(g)
    rate = g("latency.ours.rate_per_s")
    out.append(("2 latency", f"p50 ms at half max ({rate}/s ours)", g("latency.ours.p50_ms"), g("latency.baseline.p50_ms"),
                "<= 20 ms", _check(g("latency.ours.p50_ms"), lambda v: v <= 20)))  # fmt: skip
    out.append(("2 latency", "p99 ms at half max", g("latency.ours.p99_ms"), g("latency.baseline.p99_ms"), "<= 100 ms",
                _check(g("latency.ours.p99_ms"), lambda v: v <= 100)))  # fmt: skip
    out.append(("2 latency", "p99 ms in the warm-up (fresh workers, new webhook)", g("latency.ours.cold.p99_ms"),
                g("latency.baseline.cold.p99_ms"), "", None))  # fmt: skip
    n = g("fanout.webhooks")
    out.append(("3 fan-out", f"s until {n} deliveries enqueued", g("fanout.ours.enqueue_s"),
                g("fanout.baseline.enqueue_s"), "<= 1 s", _check(g("fanout.ours.enqueue_s"), lambda v: v <= 1)))  # fmt: skip
    out.append(("3 fan-out", f"s until all {n} arrived", g("fanout.ours.all_arrived_s"), g("fanout.baseline.all_arrived_s"),
                "", None))  # fmt: skip
    f_pct = {k: _pct(g(f"fanout.{k}.deliveries_per_s"), g(f"throughput.{k}_events_off.deliveries_per_s"))
             for k in ("ours", "baseline")}  # fmt: skip
    out.append(("3 fan-out", "arrival rate, % of scenario 1 (events off)", f_pct["ours"], f_pct["baseline"],
                "80-120 %", _check(f_pct["ours"], lambda v: 80 <= v <= 120)))  # fmt: skip
    out.append(("4 isolation", "healthy deliveries/s with dead, % of alone", g("isolation.ours.throughput_pct"),
                g("isolation.baseline.throughput_pct"), ">= 90 %",
                _check(g("isolation.ours.throughput_pct"), lambda v: v >= 90)))  # fmt: skip
    out.append(("4 isolation", "healthy p99 with dead / alone (x)", g("isolation.ours.p99_ratio"),
                g("isolation.baseline.p99_ratio"), "<= 2x", _check(g("isolation.ours.p99_ratio"), lambda v: v <= 2)))  # fmt: skip
    out.append(("4 isolation", "healthy p99 ms alone -> with dead",
                _pair(g("isolation.ours.alone.p99_ms"), g("isolation.ours.with_dead.p99_ms")),
                _pair(g("isolation.baseline.alone.p99_ms"), g("isolation.baseline.with_dead.p99_ms")), "", None))  # fmt: skip
    w = g("retry_backlog.waiting")
    out.append(("5 retry backlog", f"Redis bytes per waiting retry ({w} ours)", g("retry_backlog.ours.redis_bytes_per_retry"),
                g("retry_backlog.baseline.redis_bytes_per_retry"), "", None))  # fmt: skip
    out.append(("5 retry backlog", "worker RSS growth MB (baseline: per its N)", g("retry_backlog.ours.worker_rss_growth_mb"),
                g("retry_backlog.baseline.worker_rss_growth_mb"), "~0",
                _check(g("retry_backlog.ours.worker_rss_growth_mb"), lambda v: abs(v) < 5)))  # fmt: skip
    out.append(("5 retry backlog", "scheduler moves/s", g("retry_backlog.ours.move_per_s"), None, ">= 20,000/s",
                _check(g("retry_backlog.ours.move_per_s"), lambda v: v >= 20_000)))  # fmt: skip
    wh = g("matching.webhooks")
    out.append(("6 matching", f"resolve_ids p50 ms ({wh} webhooks)", g("matching.p50_ms"), None, "", None))
    out.append(("6 matching", "resolve_ids p99 ms", g("matching.p99_ms"), None, "<= 1 ms",
                _check(g("matching.p99_ms"), lambda v: v <= 1)))  # fmt: skip
    out.append(("7 publishing", "publish_event p50 ms", g("publishing.ours.p50_ms"), g("publishing.baseline.p50_ms"),
                "<= 1 ms", _check(g("publishing.ours.p50_ms"), lambda v: v <= 1)))  # fmt: skip
    out.append(("7 publishing", "publish_event events/s, one thread", g("publishing.ours.events_per_s"),
                g("publishing.baseline.events_per_s"), ">= 5,000/s",
                _check(g("publishing.ours.events_per_s"), lambda v: v >= 5000)))  # fmt: skip
    out.append(("7 publishing", "Redis PING/s, one thread (the round-trip floor)", g("publishing.redis_ping.events_per_s"),
                None, "", None))  # fmt: skip
    out.append(("7 publishing", f"publish_events events/s (batches of {g('publishing.ours.batch_size')})",
                g("publishing.ours.batch_events_per_s"), None, ">= 20,000/s",
                _check(g("publishing.ours.batch_events_per_s"), lambda v: v >= 20_000)))  # fmt: skip
    for tag, label in (("1proc_1kb", "1 worker, 1 KB"), ("2proc_1kb", "2 workers, 1 KB"),
                       ("1proc_64kb", "1 worker, 64 KB"), ("2proc_64kb", "2 workers, 64 KB")):  # fmt: skip
        out.append(("8 scaling", f"deliveries/s, {label}", g(f"scaling.ours.{tag}.deliveries_per_s"),
                    g(f"scaling.baseline.{tag}.deliveries_per_s"), "", None))  # fmt: skip
    ratio = {k: _ratio(g(f"scaling.{k}.2proc_1kb.deliveries_per_s"), g(f"scaling.{k}.1proc_1kb.deliveries_per_s"))
             for k in ("ours", "baseline")}  # fmt: skip
    out.append(("8 scaling", "2 workers / 1 worker, 1 KB (x)", ratio["ours"], ratio["baseline"], ">= 1.8x",
                _check(ratio["ours"], lambda v: v >= 1.8)))  # fmt: skip
    out += _history_rows(g)
    out.append(("10 ordered", "deliveries/s to one ordered webhook (one in flight)", g("ordered.deliveries_per_s"),
                None, "", None))  # fmt: skip
    out.append(("10 ordered", "received in publish order", g("ordered.in_order"), None, "yes",
                g("ordered.in_order")))  # fmt: skip
    return out + _rate_rows(g)


def _rate_rows(g: Callable[[str], Any]) -> list[Row]:
    """Scenario 11: the limited webhook's rate against its limit (the baseline column), the neighbour's against
    its own rate alone, measured in the same invocation."""
    out: list[Row] = []
    threads = g("rate.threads")
    for limit in (50, 500):
        at = f"rate.at_{limit}"
        alone = g(f"{at}.free_alone.deliveries_per_s")
        got = g(f"{at}.deliveries_per_s")
        out.append(("11 rate limit", f"deliveries/s to a webhook limited to {limit}/s ({threads} threads; baseline: "
                    "the limit)", got, limit, "±5 %", _check(got, lambda v, n=limit: abs(v / n - 1) <= 0.05)))  # fmt: skip
        out.append(("11 rate limit", f"  most in any 1 s at {limit}/s (first burst included)",
                    g(f"{at}.max_in_any_1s"), None, "", None))  # fmt: skip
        beside = g(f"{at}.free.deliveries_per_s")
        pct = _pct(beside, alone)
        out.append(("11 rate limit", f"  unlimited neighbour deliveries/s beside it (baseline: alone); {pct} %",
                    beside, alone, ">= 90 %" if limit == 50 else "",
                    _check(pct, lambda v: v >= 90) if limit == 50 else None))  # fmt: skip
    return out


def _throughput_rows(g: Callable[[str], Any]) -> list[Row]:
    ours, prefork = g("throughput.ours_events_off.deliveries_per_s"), g("throughput.baseline_prefork.deliveries_per_s")
    worker = g("throughput.ours_events_off.cpu_ms_per_delivery.workers")
    redis_ms = g("throughput.ours_events_off.cpu_ms_per_delivery.redis")
    ceiling = round(1000 / redis_ms) if redis_ms else None
    return [
        ("1 throughput", "deliveries/s, baseline on prefork (2 processes)", ours, prefork, ">= 5x baseline",
         None if ours is None or not prefork else ours >= 5 * prefork),
        ("1 throughput", "worker CPU ms per delivery (events off)", worker,
         g("throughput.baseline_events_off.cpu_ms_per_delivery.workers"), "<= 0.25", _check(worker, lambda v: v <= 0.25)),
        ("1 throughput", "Redis CPU ms per delivery (events off, bulk)", redis_ms,
         g("throughput.baseline_events_off.cpu_ms_per_delivery.redis"), "<= 0.05", _check(redis_ms, lambda v: v <= 0.05)),
        ("1 throughput", "one Redis core's ceiling, deliveries/s (1 / Redis CPU)", ceiling, None, "", None),
        ("1 throughput", "Redis script calls (EVALSHA) per delivery (events off)",
         g("throughput.ours_events_off.redis_calls_per_delivery.evalsha.calls"), None, "", None),
    ]  # fmt: skip


def _singles_rows(g: Callable[[str], Any]) -> list[Row]:
    """Scenario 12: one `publish_event` per event, from one thread and from four (history on, as scenario 1)."""
    out: list[Row] = []
    n = g("singles.events") or "N"
    for t in (1, 4):
        at = f"singles.threads_{t}"
        who = f"{t} thread{'s' if t > 1 else ''}"
        redis_ms, worker = g(f"{at}.cpu_ms_per_delivery.redis"), g(f"{at}.cpu_ms_per_delivery.workers")
        out += [
            ("12 singles", f"deliveries/s, {n} publish_event calls from {who}", g(f"{at}.deliveries_per_s"), None, "",
             None),
            ("12 singles", f"  Redis CPU ms per delivery, {who}", redis_ms, None, "<= 0.08",
             _check(redis_ms, lambda v: v <= 0.08)),
            ("12 singles", f"  worker CPU ms per delivery, {who}", worker, None, "<= 0.2",
             _check(worker, lambda v: v <= 0.2)),
            ("12 singles", f"  producer CPU ms per publish_event call (its threads' own), {who}",
             g(f"{at}.producer_cpu_ms_per_delivery"), None, "", None),
            ("12 singles", f"  Redis script calls (EVALSHA) per delivery, {who}",
             g(f"{at}.redis_calls_per_delivery.evalsha.calls"), None, "", None),
        ]  # fmt: skip
    return out


def _ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 2) if isinstance(a, (int, float)) and b else None


def _history_rows(g: Callable[[str], Any]) -> list[Row]:
    n = g("history.finished")
    per = g("history.redis_bytes_per_finished")
    rate = g("history.archiver_records_per_s")
    lag = g("history.lag_max_s")
    return [
        ("9 history", f"Redis bytes left per finished delivery ({n} finished)", per, None, "<= 50",
         _check(per, lambda v: v <= 50)),
        ("9 history", f"Redis MB above idle after {n} finished", _mb(g("history.redis_growth_bytes")), None,
         "<= 50 (at 1,000,000)", _check(g("history.redis_growth_bytes"), lambda v: v <= 50e6)),
        ("9 history", "deliveries/s with the archiver writing", g("history.deliveries_per_s"), None, "", None),
        ("9 history", "archiver lag, max s (oldest record waiting)", lag, None, "< 5 s", _check(lag, lambda v: v < 5)),
        ("9 history", "archiver records/s into PostgreSQL", rate, None, ">= 10,000/s",
         _check(rate, lambda v: v >= 10_000)),
        ("9 history", "two archivers: records/s into PostgreSQL", g("history.two_archivers.archiver_records_per_s"),
         None, "", None),
        ("9 history", "PostgreSQL bytes per delivery (event, delivery, attempt)", g("history.pg_bytes_per_delivery"),
         None, "", None),
    ]  # fmt: skip


def _mb(v: Any) -> float | None:
    return round(v / 1e6, 2) if isinstance(v, (int, float)) else None


def _pct(part: Any, whole: Any) -> float | None:
    return round(100 * part / whole, 1) if isinstance(part, (int, float)) and whole else None


def _pair(a: Any, b: Any) -> str | None:
    return None if a is None and b is None else f"{_fmt(a)} -> {_fmt(b)}"


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}" if abs(v) < 10 else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def redis_calls(fig: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The Redis-calls-by-command breakdowns present in the figures: singles (1 and 4 threads) and bulk."""
    found = [(f"12 singles, {t} thread(s)", _get(fig, f"singles.threads_{t}.redis_calls_per_delivery")) for t in (1, 4)]
    found.append(("1 throughput, bulk (events off)", _get(fig, "throughput.ours_events_off.redis_calls_per_delivery")))
    return [(label, stats) for label, stats in found if isinstance(stats, dict)]


def table(table_rows: list[Row]) -> str:
    """A plain-text table (also valid Markdown)."""
    head = ("scenario", "metric", "ours", "baseline", "target", "met?")
    cells = [head, *[(s, m, _fmt(o), _fmt(b), t, "" if ok is None else _fmt(ok)) for s, m, o, b, t, ok in table_rows]]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells[1:])])


def write(out_dir: Path, result: dict[str, Any]) -> Path:
    """Write `<UTC timestamp>.json` and `latest.json` under out_dir; returns the timestamped path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"{stamp}.json"
    text = json.dumps(result, indent=2, sort_keys=False, default=str)
    path.write_text(text)
    (out_dir / "latest.json").write_text(text)
    return path
