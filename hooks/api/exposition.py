"""The per-webhook families of `/metrics`, written straight in the text format (0.0.4).

prometheus_client renders a sample in about 15 µs; the 1,000 labelled webhooks make some 25,000 samples, over
300 ms a scrape. Written here with one f-string each (the label values are our ids or constants, escaped only
when they need it), they take a few ms; the global gauges still go through prometheus_client.
"""

from __future__ import annotations

from collections.abc import Iterable

from hooks.metrics.counters import SUM_FIELD
from hooks.metrics.keys import BUCKETS_S, CLASSES, OUTCOMES
from hooks.metrics.read import Counts, Snapshot

OTHER = "other"
BREAKER = {"closed": 0, "half-open": 1, "open": 2}
_LE = [*map(repr, BUCKETS_S), "+Inf"]


def label(value: str) -> str:
    """A label value as the text format needs it (backslash, quote and newline escaped)."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def per_webhook(snap: Snapshot) -> str:
    """The deliveries, attempts, duration and breaker families of the top webhooks and `other`."""
    series = [(label(wh), counts) for wh, counts in [*snap.webhooks.items(), (OTHER, snap.other)]]
    out = ["# HELP hooks_deliveries_total Finished deliveries by outcome.\n# TYPE hooks_deliveries_total counter\n"]
    out += [f'hooks_deliveries_total{{webhook="{wh}",outcome="{o}"}} {float(c.get(f"d:{o}", 0.0))!r}\n'
            for wh, c in series for o in OUTCOMES]  # fmt: skip
    out.append("# HELP hooks_attempts_total HTTP attempts by status class.\n# TYPE hooks_attempts_total counter\n")
    out += [f'hooks_attempts_total{{webhook="{wh}",status_class="{s}"}} {float(c.get(f"a:{s}", 0.0))!r}\n'
            for wh, c in series for s in CLASSES]  # fmt: skip
    out.append("# HELP hooks_attempt_duration_seconds How long attempts took.\n"
               "# TYPE hooks_attempt_duration_seconds histogram\n")  # fmt: skip
    for wh, c in series:
        out += _histogram(wh, c)
    out.append("# HELP hooks_webhook_breaker_state Breaker: 0 closed, 1 half-open, 2 open.\n"
               "# TYPE hooks_webhook_breaker_state gauge\n")  # fmt: skip
    out += [f'hooks_webhook_breaker_state{{webhook="{label(wh)}"}} {BREAKER[name]}.0\n'
            for wh, name in snap.breakers.items()]  # fmt: skip
    return "".join(out)


def _histogram(wh: str, c: Counts) -> Iterable[str]:
    seen = 0.0
    for i, le in enumerate(_LE):
        seen += c.get(f"l:{i}", 0.0)
        yield f'hooks_attempt_duration_seconds_bucket{{webhook="{wh}",le="{le}"}} {seen!r}\n'
    yield f'hooks_attempt_duration_seconds_count{{webhook="{wh}"}} {seen!r}\n'
    yield f'hooks_attempt_duration_seconds_sum{{webhook="{wh}"}} {c.get(SUM_FIELD, 0.0) / 1000!r}\n'
